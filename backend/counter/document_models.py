"""Rendered documents of a visit (with their hash) and the resident's signature."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, EncryptedText, IdMixin, TenantOwned, TimestampMixin


class Document(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "documents"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    form: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary, comment="purged after hand-off")
    signature_id: Mapped[str | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="SET NULL")
    )


class Signature(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "signatures"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    strokes: Mapped[str | None] = mapped_column(EncryptedText, comment="signature_pad JSON")
    sha256: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(100))
    bound_documents: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="form → document hash the signature is bound to"
    )
