"""Devices: counter agents, tablets, ticket machines and display boards."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.access import DeviceKind
from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin

__all__ = ["Device", "DeviceKind"]  # DeviceKind: the access vocabulary, re-exported


class Device(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "devices"
    # The counter's tablet and agent (presence, looked up several times a visit).
    __table_args__ = (Index("ix_devices_counter_kind", "counter_id", "kind"),)

    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    office_id: Mapped[str | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    counter_id: Mapped[str | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    token_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="SHA-256 of the token; the token itself is never stored"
    )
    pairing_code_hash: Mapped[str | None] = mapped_column(String(64))
    pairing_expires_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_seen_at: Mapped[dt.datetime | None] = mapped_column()
