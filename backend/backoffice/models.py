"""Cases and work items: what the back office does with each handed-off visit.

A ``Case`` is created at the hand-off (``backend.counter.handoff``), with the record as handed
off (encrypted) and the characters of its names and addresses that the core system's
character set cannot hold; a ``WorkItem`` per procedure and department carries the state of
the work (``states.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import (
    Base,
    EncryptedJSON,
    EncryptedText,
    IdMixin,
    TenantOwned,
    TimestampMixin,
    utcnow,
)


class Case(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "backoffice_cases"
    __table_args__ = (Index("ix_backoffice_cases_tenant_handed_off", "tenant_id", "handed_off_at"),)

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    reception_label: Mapped[str | None] = mapped_column(
        String(48), index=True, comment="ticket number and day, e.g. A-001 2026-12-02"
    )
    event: Mapped[str] = mapped_column(String(32))
    event_date: Mapped[dt.date] = mapped_column()
    filed_on: Mapped[dt.date] = mapped_column()
    handed_off_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    charset: Mapped[str] = mapped_column(String(16), comment="the core system's character set")
    record: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON, comment="the visit record as handed off; encrypted"
    )
    procedures: Mapped[list[dict[str, Any]] | None] = mapped_column(
        EncryptedJSON, comment="the guidance result's procedures with reasons; encrypted"
    )
    documents: Mapped[list[dict[str, Any]] | None] = mapped_column(
        EncryptedJSON, comment="links to the signed documents"
    )
    characters: Mapped[list[dict[str, Any]] | None] = mapped_column(
        EncryptedJSON, comment="characters outside the charset, substitute, decision; encrypted"
    )


class WorkItem(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "backoffice_work_items"
    __table_args__ = (Index("ix_backoffice_work_items_case", "case_id", "position"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("backoffice_cases.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    procedure_id: Mapped[str] = mapped_column(String(64))
    procedure_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(100))
    # A WorkItemState; every transition is in backend/backoffice/states.py.
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    deadline: Mapped[dt.date | None] = mapped_column()
    assignee_id: Mapped[str | None] = mapped_column(String(80), comment="staff:… or device:…")
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    team: Mapped[str | None] = mapped_column(String(100))
    return_reason: Mapped[str | None] = mapped_column(EncryptedText, comment="free text")
    state_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
