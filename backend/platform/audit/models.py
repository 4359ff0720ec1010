"""Audit events: append-only, hash-chained per tenant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, utcnow


class AuditEvent(IdMixin, TenantOwned, Base):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"),)

    seq: Mapped[int] = mapped_column(comment="position in the tenant's chain, from 1")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(100), comment="staff id or device id")
    device: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    visit_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="no personal data")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
