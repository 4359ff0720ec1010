"""Catalog versions per tenant: every upload is kept; one version is active at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin


class CatalogVersion(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    number: Mapped[int] = mapped_column(comment="1, 2, 3… per tenant, in upload order")
    catalog_id: Mapped[str] = mapped_column(String(80), comment="catalog.id in the file")
    label: Mapped[str] = mapped_column(String(200), comment="catalog.version in the file")
    digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the YAML text")
    source: Mapped[str] = mapped_column(Text, comment="the YAML as uploaded")
    procedures: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=False, index=True)
    activated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    uploaded_by: Mapped[str | None] = mapped_column(String(100), comment="staff:<id>")
    note: Mapped[str | None] = mapped_column(String(500))


class CatalogFork(IdMixin, TimestampMixin, TenantOwned, Base):
    """A catalog imported from another municipality's bundle (共創): what upstream was then."""

    __tablename__ = "catalog_forks"

    draft_number: Mapped[int] = mapped_column(comment="the draft version the import created")
    upstream_code: Mapped[str] = mapped_column(String(6), index=True, comment="団体コード")
    upstream_name: Mapped[str] = mapped_column(String(100))
    upstream_version: Mapped[int | None] = mapped_column(comment="None: their built-in sample")
    upstream_label: Mapped[str] = mapped_column(String(200))
    upstream_digest: Mapped[str] = mapped_column(String(64))
    upstream_source: Mapped[str] = mapped_column(Text, comment="the YAML as imported")
    signer_fingerprint: Mapped[str] = mapped_column(String(16))
