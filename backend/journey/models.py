"""Baseline surveys: a walkthrough of the old counter, recorded by staff with a stopwatch.

A survey is the "before" of one life event: a persona (e.g. 30代・転入・子ども2人) walks the
counter and staff note each stop. No personal data: a persona is a description, not a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin


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
