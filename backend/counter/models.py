"""The counter's models: visits, their timeline of events, the household members they concern,
the rendered documents (with their hash) and the resident's signature.

Every personal field (name, kana, address, birth date, phone, 住民票コード) is ``EncryptedText``;
the rendered PDFs are ``EncryptedBytes`` (their ``sha256`` is taken on the plain PDF's data);
free text (the visit's facts, a member's attributes) is ``EncryptedJSON``: a clerk may type
anything into a note, so the database holds it only as ciphertext.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.counter.states import VisitStatus
from backend.platform.db import (
    Base,
    EncryptedBytes,
    EncryptedJSON,
    EncryptedText,
    IdMixin,
    TenantOwned,
    TimestampMixin,
    as_written,
    utcnow,
)

# The visits not closed: a partial index's predicate, and what ``Visit.is_open`` says.
_NOT_CLOSED = f"status <> '{VisitStatus.CLOSED.value}'"


class Visit(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "visits"
    # The retention pass asks for the unpurged visits closed before a cut-off, per tenant.
    # The journey report and the history seeder ask for a tenant's visits opened in a period.
    # The tablet and the console ask for a counter's open visit every few seconds: only the
    # open visits are in ``ix_visits_counter_open``, so that read does not grow with the
    # visits a municipality retains (it read every visit of the tenant before).
    __table_args__ = (
        Index("ix_visits_retention", "tenant_id", "purged_at", "closed_at"),
        Index("ix_visits_tenant_created", "tenant_id", "created_at"),
        Index(
            "ix_visits_counter_open",
            "counter_id",
            "created_at",
            postgresql_where=text(_NOT_CLOSED),
            sqlite_where=text(_NOT_CLOSED),
        ),
    )

    @classmethod
    def is_open(cls) -> ColumnElement[bool]:
        """``status <> 'closed'``, written so that ``ix_visits_counter_open`` serves it."""
        return cls.status != as_written(VisitStatus.CLOSED.value)

    office_id: Mapped[str | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    counter_id: Mapped[str | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # A VisitStatus; every transition is in backend/counter/states.py.
    status: Mapped[str] = mapped_column(
        String(16), default=VisitStatus.OPEN, comment="open, signed, closed"
    )
    event: Mapped[str | None] = mapped_column(String(32))
    event_date: Mapped[dt.date | None] = mapped_column()
    resident_lang: Mapped[str | None] = mapped_column(
        String(8),
        comment="the pre-entry's or the ticket's language: the tablet opens in it",
    )
    filed_on: Mapped[dt.date | None] = mapped_column()
    previous_address: Mapped[str | None] = mapped_column(EncryptedText)
    new_address: Mapped[str | None] = mapped_column(EncryptedText)
    household_head: Mapped[str | None] = mapped_column(EncryptedText)
    applicant_name: Mapped[str | None] = mapped_column(EncryptedText)
    applicant_relationship: Mapped[str | None] = mapped_column(String(32))
    applicant_phone: Mapped[str | None] = mapped_column(EncryptedText)
    facts: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON, default=dict, comment="free text and answers, encrypted"
    )
    certificates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    roles: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON,
        comment="届出人 (member id), 代理人, new head, unresolved questions; encrypted",
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    purged_at: Mapped[dt.datetime | None] = mapped_column()

    members: Mapped[list[HouseholdMember]] = relationship(
        back_populates="visit",
        order_by="HouseholdMember.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )
    events: Mapped[list[VisitEvent]] = relationship(
        order_by="VisitEvent.at", cascade="all, delete-orphan", lazy="raise"
    )


class HouseholdMember(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "household_members"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(EncryptedText)
    kana: Mapped[str | None] = mapped_column(EncryptedText)
    birth_date: Mapped[str | None] = mapped_column(EncryptedText, comment="ISO date, encrypted")
    address: Mapped[str | None] = mapped_column(EncryptedText)
    resident_code: Mapped[str | None] = mapped_column(EncryptedText)
    sex: Mapped[str | None] = mapped_column(String(1))
    relationship_to_head: Mapped[str | None] = mapped_column(String(32))
    nationality: Mapped[str | None] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(8), default="staff")
    attributes: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON, default=dict, comment="insurance, care_certified, …, encrypted"
    )

    visit: Mapped[Visit] = relationship(back_populates="members", lazy="raise")


class VisitEvent(IdMixin, TenantOwned, Base):
    """One step of a visit's journey (ticket called, card read, signed, handed off…)."""

    __tablename__ = "visit_events"
    __table_args__ = (Index("ix_visit_events_visit_at", "visit_id", "at"),)

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="no personal data")


class Document(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "documents"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    form: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(EncryptedBytes, comment="purged after hand-off")
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


class VisitView(TenantOwned, Base):
    """When a staff session last had its ``visit.view`` audited, so repeated reads of an
    unchanged visit (the console refreshes it, polls it while the resident signs) are audited
    once. The audit chain stays the record; this row only decides whether to add to it."""

    __tablename__ = "visit_views"

    visit_id: Mapped[str] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="staff session")
    # The visit's last change as that audited view saw it (not the clock at the view: a change
    # committed during the view must still be audited when it is first seen).
    version_seen: Mapped[dt.datetime] = mapped_column()
