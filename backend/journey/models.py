"""Baseline surveys: a walkthrough of the old counter, recorded by staff with a stopwatch.

A survey is the "before" of one life event: a persona (e.g. 30代・転入・子ども2人) walks the
counter and staff note each stop. No personal data: a persona is a description, not a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin, new_id, utcnow


class BaselineSurvey(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "baseline_surveys"
    __table_args__ = (Index("ix_baseline_surveys_tenant_event", "tenant_id", "event"),)

    event: Mapped[str] = mapped_column(String(32), comment="life event, e.g. moving-in")
    persona: Mapped[str] = mapped_column(String(200))
    surveyed_on: Mapped[dt.date | None] = mapped_column()
    stops: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON,
        default=list,
        comment="the walkthrough's stops: counter, minutes, forms, fields by hand, floors",
    )
    notes: Mapped[str | None] = mapped_column(Text)
    photo_captions: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str | None] = mapped_column(String(64), comment="staff:<id>")


class VisitSummary(TenantOwned, Base):
    """One visit's journey measured once (``backend/journey/summaries.py``), so the report
    adds up one narrow row per visit instead of regrouping millions of journey events.

    Written in the transaction of every journey event of the visit and of its purge, by the
    history seeder, and by the migration that created this table. No personal data: figures.
    """

    __tablename__ = "visit_summaries"
    __table_args__ = (
        Index("ix_visit_summaries_tenant_event_day", "tenant_id", "event", "day"),
        Index("ix_visit_summaries_tenant_day", "tenant_id", "day"),
    )

    visit_id: Mapped[str] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    event: Mapped[str | None] = mapped_column(String(32))
    counter_id: Mapped[str | None] = mapped_column(String(32), comment="first counter")
    created_at: Mapped[dt.datetime] = mapped_column(comment="the visit opened")
    day: Mapped[dt.date] = mapped_column(comment="local (Tokyo) day the visit opened")
    hour: Mapped[int] = mapped_column(SmallInteger, comment="local (Tokyo) hour it opened")
    wait_seconds: Mapped[float | None] = mapped_column(Float, comment="ticket issued → called")
    service_seconds: Mapped[float | None] = mapped_column(Float, comment="opened → closed")
    counters: Mapped[int] = mapped_column(default=0, comment="distinct counters visited")
    forms: Mapped[int] = mapped_column(default=0)
    prefilled: Mapped[int] = mapped_column(default=0, comment="fields prefilled, not handwritten")
    cards: Mapped[int] = mapped_column(default=0, comment="My Number Cards read")
    typed: Mapped[int] = mapped_column(default=0, comment="members typed by staff")
    signatures: Mapped[int] = mapped_column(default=0)
    handed_off: Mapped[int] = mapped_column(default=0, comment="hand-offs to the back office")
    procedures_suggested: Mapped[int] = mapped_column(default=0)
    procedures_taken: Mapped[int] = mapped_column(default=0, comment="work items handed off")
    work_items_done: Mapped[int] = mapped_column(default=0)
    backoffice_seconds: Mapped[float | None] = mapped_column(
        Float, comment="hand-off → last work item done, once all are done"
    )
    reservations: Mapped[int] = mapped_column(default=0, comment="reservation.checked_in")
    reservation_no_shows: Mapped[int] = mapped_column(default=0, comment="reservation.no_show")
    preentries: Mapped[int] = mapped_column(default=0, comment="preentry.applied")


class JourneySettings(TenantOwned, Base):
    """Per municipality: the wait (minutes) above which the supervisor's view raises an alert."""

    __tablename__ = "journey_settings"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_journey_settings_tenant"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    alert_wait_minutes: Mapped[float] = mapped_column(Float, default=30)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64), comment="staff:<id>")
