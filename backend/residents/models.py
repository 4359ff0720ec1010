"""Pre-entries, reservation slots and reservations, and each municipality's switches for them.

A pre-entry holds what a resident typed on their phone (members, phone, new address, answers):
the whole payload is ``EncryptedJSON`` and is deleted ``preentry_retention_days`` after it was
made, or once a clerk has opened a visit from it (one-time). A reservation keeps only an
encrypted phone number (optional) and an HMAC of it (to refuse double bookings).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import (
    Base,
    EncryptedJSON,
    EncryptedText,
    IdMixin,
    TenantOwned,
    TimestampMixin,
)


class ResidentServiceSettings(TimestampMixin, TenantOwned, Base):
    """One row per municipality; absent means both services are off."""

    __tablename__ = "resident_service_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    preentry_enabled: Mapped[bool] = mapped_column(default=False)
    reservations_enabled: Mapped[bool] = mapped_column(default=False)
    preentry_retention_days: Mapped[int] = mapped_column(
        default=7, comment="a pre-entry is deleted this many days after it was made"
    )
    no_show_grace_minutes: Mapped[int] = mapped_column(
        default=15, comment="a reservation not checked in this long after its start is a no-show"
    )
    reserved_first: Mapped[bool] = mapped_column(
        default=True, comment="a checked-in reservation's ticket is called before walk-ins"
    )


class PreEntry(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "preentries"

    code: Mapped[str] = mapped_column(String(24), unique=True, comment="the QR's text")
    lang: Mapped[str] = mapped_column(String(5), default="ja")
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON, comment="members, phone, address, answers, certificates; encrypted"
    )
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column()
    visit_id: Mapped[str | None] = mapped_column(String(32), comment="the visit it opened")


class ReservationStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


HOLDING = (ReservationStatus.BOOKED.value, ReservationStatus.CHECKED_IN.value)


class ReservationSlot(IdMixin, TimestampMixin, TenantOwned, Base):
    """A time a queue takes ``capacity`` reservations for one purpose (おくやみ, 転入…)."""

    __tablename__ = "reservation_slots"
    __table_args__ = (UniqueConstraint("queue_id", "purpose", "starts_at"),)

    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32), comment="a life event id, e.g. death")
    label: Mapped[str] = mapped_column(String(64), comment="Japanese name, e.g. おくやみコーナー")
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    minutes: Mapped[int] = mapped_column(default=30)
    capacity: Mapped[int] = mapped_column(default=1)


class Reservation(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_reservations_slot_status", "slot_id", "status"),
    )

    slot_id: Mapped[str] = mapped_column(ForeignKey("reservation_slots.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(8), comment="what the resident types at the kiosk")
    code: Mapped[str] = mapped_column(String(32), unique=True, comment="the QR's text")
    status: Mapped[str] = mapped_column(String(16), default=ReservationStatus.BOOKED.value)
    lang: Mapped[str] = mapped_column(String(5), default="ja")
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    booked_by: Mapped[str] = mapped_column(String(64), comment="resident or staff:<id>")
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column()
    cancelled_at: Mapped[dt.datetime | None] = mapped_column()
