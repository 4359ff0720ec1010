"""One uploaded layout of one form for one municipality (a numbered version per form)."""

from __future__ import annotations

from sqlalchemy import LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin


class FormLayoutVersion(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "form_layouts"
    __table_args__ = (UniqueConstraint("tenant_id", "form", "number"),)

    form: Mapped[str] = mapped_column(String(64), comment="the form it lays out, e.g. checklist")
    number: Mapped[int] = mapped_column(comment="1, 2, … per tenant and form")
    source: Mapped[str] = mapped_column(Text, comment="the layout as uploaded (YAML or JSON)")
    background: Mapped[bytes | None] = deferred(
        mapped_column(LargeBinary, comment="the municipality's own PDF to fill, if any")
    )
    background_sha256: Mapped[str | None] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of source and background: what a rendering depends on"
    )
    active: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(100))
