"""Queues (service categories), the counters serving them, and numbered tickets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, IdMixin, TenantOwned, TimestampMixin

counter_queues = Table(
    "counter_queues",
    Base.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("queue_id", ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
)


class Queue(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("office_id", "prefix"),)

    office_id: Mapped[str] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(2), comment="letter printed before the number")
    name_ja: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    sort_order: Mapped[int] = mapped_column(default=0)
    default_service_minutes: Mapped[float] = mapped_column(default=10.0)


class Ticket(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("queue_id", "service_day", "number"),)

    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    service_day: Mapped[dt.date] = mapped_column(comment="local date (Asia/Tokyo) of issue")
    number: Mapped[int] = mapped_column()
    display_number: Mapped[str] = mapped_column(String(12), comment="e.g. A-012")
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    priority: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[dt.datetime] = mapped_column()
    called_at: Mapped[dt.datetime | None] = mapped_column()
    counter_id: Mapped[str | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    call_count: Mapped[int] = mapped_column(default=0)
    follow_token: Mapped[str] = mapped_column(String(32), unique=True, comment="phone status URL")
