"""Audit events: append-only, hash-chained per tenant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, UniqueConstraint
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


audit_pending = Table(
    "audit_pending",
    Base.metadata,
    Column("id", String(32), primary_key=True),  # the first event's id
    Column("tenant_id", String(32), nullable=False),
    Column("events", Text, nullable=False),  # a JSON array, as audit_append reads it
)
"""A unit's audit events on their way to the chain (PostgreSQL; unlogged, no row outlives its
transaction). Its deferred trigger hands each row to ``audit_append`` inside the COMMIT."""
