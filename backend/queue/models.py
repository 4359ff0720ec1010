"""Queues (service categories), the counters serving them, numbered tickets and their journey.

A ticket keeps its number and its issue time for the whole visit: a resident sent on to another
department is *transferred* (``queue_id`` changes, ``origin_queue_id`` and ``issued_at`` stay),
never given a new ticket. Every status change is a ``TicketEvent`` (analytics read them later).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import (
    Base,
    IdMixin,
    TenantOwned,
    TimestampMixin,
    as_written,
    sql_list,
    utcnow,
)

counter_queues = Table(
    "counter_queues",
    Base.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("queue_id", ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
)


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    TRANSFERRED = "transferred"  # waiting again, in another queue, with its original issue time
    DONE = "done"
    NO_SHOW = "no_show"


WAITING_STATUSES = (TicketStatus.WAITING.value, TicketStatus.TRANSFERRED.value)
ACTIVE_AT_COUNTER = (TicketStatus.CALLED.value, TicketStatus.SERVING.value)
_WAITING = f"status IN ({sql_list(WAITING_STATUSES)})"


def is_waiting(status: Any) -> ColumnElement[bool]:
    """``status IN ('waiting', 'transferred')``, written so that ``ix_tickets_waiting`` serves
    it."""
    return status.in_([as_written(value) for value in WAITING_STATUSES])


# The resident's languages (ticket machine, slip, phone page, board, tablet), in the order the
# screens offer them. Japanese and English are columns of their own (every queue has them);
# the others are ``Queue.name_translations``.
RESIDENT_LANGUAGES = ("ja", "en", "zh-Hans", "ko", "vi", "pt")
TRANSLATED_LANGUAGES = RESIDENT_LANGUAGES[2:]


class Queue(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("office_id", "prefix"),)

    office_id: Mapped[str] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(2), comment="letter printed before the number")
    name_ja: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    name_translations: Mapped[dict[str, str]] = mapped_column(
        JSON,
        default=dict,
        server_default="{}",
        comment="the name in zh-Hans, ko, vi, pt (language → name); missing: English",
    )
    sort_order: Mapped[int] = mapped_column(default=0)
    default_service_minutes: Mapped[float] = mapped_column(default=10.0)
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    max_calls: Mapped[int] = mapped_column(
        default=3, server_default="3", comment="calls without answer before no-show"
    )
    issue_opens_at: Mapped[str | None] = mapped_column(
        String(5), comment="HH:MM local; overrides the office's opening time for issuing"
    )
    issue_closes_at: Mapped[str | None] = mapped_column(
        String(5), comment="HH:MM local; e.g. 転入 stops issuing earlier than the office closes"
    )

    def name_in(self, lang: str) -> str:
        """The name a resident reads in ``lang``: the municipality's own words in that language,
        else English, else Japanese (a name left empty is never shown as a blank button)."""
        if lang == "ja":
            own = self.name_ja
        elif lang == "en":
            own = self.name_en
        else:
            own = (self.name_translations or {}).get(lang, "")
        return (own or "").strip() or (self.name_en or "").strip() or self.name_ja

    def resident_names(self) -> dict[str, str]:
        """The name in every resident language, each already fallen back (for the screens)."""
        return {lang: self.name_in(lang) for lang in RESIDENT_LANGUAGES}


class Ticket(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("origin_queue_id", "service_day", "number"),
        Index("ix_tickets_queue_status", "queue_id", "status"),
        # The office's tickets of the day, a queue's recent services of the day (status.py).
        Index("ix_tickets_office_day_status", "office_id", "service_day", "status"),
        Index(
            "ix_tickets_queue_day_status_finished",
            "queue_id",
            "service_day",
            "status",
            "finished_at",
        ),
        # "Next" takes a queue's oldest waiting ticket of the day: only the waiting tickets are
        # in this index (it read every ticket of the queue's day, ≈1 block each, under the
        # claim's row lock).
        Index(
            "ix_tickets_waiting",
            "queue_id",
            "service_day",
            postgresql_where=text(_WAITING),
            sqlite_where=text(_WAITING),
        ),
    )

    # the queue it waits in now (differs from origin_queue_id after a transfer)
    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    origin_queue_id: Mapped[str] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), comment="the queue that numbered it"
    )
    office_id: Mapped[str] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    service_day: Mapped[dt.date] = mapped_column(comment="local date (Asia/Tokyo) of issue")
    number: Mapped[int] = mapped_column()
    display_number: Mapped[str] = mapped_column(String(12), comment="e.g. A-012")
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.WAITING.value, index=True)
    priority: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[dt.datetime] = mapped_column()
    called_at: Mapped[dt.datetime | None] = mapped_column()
    serving_started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    counter_id: Mapped[str | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    call_count: Mapped[int] = mapped_column(default=0)
    transfer_count: Mapped[int] = mapped_column(default=0, server_default="0")
    follow_token: Mapped[str] = mapped_column(String(32), unique=True, comment="phone status URL")
    lang: Mapped[str] = mapped_column(
        String(8),
        default="ja",
        server_default="ja",
        comment="the language chosen on the ticket machine: slip, phone page, tablet",
    )


class TicketSequence(Base):
    """The last number handed out per queue and day: one row locked per issue, no gaps racing."""

    __tablename__ = "ticket_sequences"

    queue_id: Mapped[str] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    service_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class TicketEvent(IdMixin, TenantOwned, Base):
    """One step of a ticket's journey: issued, called, recalled, serving, transferred, done…"""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_at", "ticket_id", "at"),)

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    queue_id: Mapped[str | None] = mapped_column(String(32))
    counter_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64), comment="staff:<id> or device:<id>")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="no personal data")
