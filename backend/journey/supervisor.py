"""The supervisor's view during the day: each queue's waiting count and longest wait, each
counter's state and current service time, and an alert when a wait passes the threshold.

The threshold is the municipality's (``journey_settings``, one row per tenant, 30 minutes until
someone sets it); changing it needs the report's permission and is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.journey.models import JourneySettings
from backend.platform.audit import service as audit
from backend.queue.service import default_office
from backend.queue.status import office_view

DEFAULT_ALERT_MINUTES = 30.0


def _settings(session: Session, tenant_id: str) -> JourneySettings | None:
    query = select(JourneySettings).where(JourneySettings.tenant_id == tenant_id)
    return session.scalars(query).one_or_none()


def alert_threshold(session: Session, tenant_id: str) -> float:
    """The wait (minutes) above which the supervisor's view raises an alert."""
    settings = _settings(session, tenant_id)
    return DEFAULT_ALERT_MINUTES if settings is None else settings.alert_wait_minutes


def set_alert_threshold(session: Session, tenant_id: str, minutes: float, actor: str) -> float:
    settings = _settings(session, tenant_id)
    before = DEFAULT_ALERT_MINUTES if settings is None else settings.alert_wait_minutes
    if settings is None:
        settings = JourneySettings(tenant_id=tenant_id)
        session.add(settings)
    settings.alert_wait_minutes, settings.updated_by = minutes, actor
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        action="journey.alert_threshold",
        actor=actor,
        detail={"from": before, "to": minutes},
    )
    return minutes


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def supervisor_view(
    session: Session, threshold_minutes: float, now: dt.datetime | None = None
) -> dict[str, Any]:
    view = office_view(session, default_office(session).id, now)
    waits = {w.ticket_id: -w.issued_at for w in view.snapshot.waiting}  # minutes waited
    queues = []
    for queue in view.queues:
        longest = max((waits[t.id] for t in view.waiting if t.queue_id == queue.id), default=None)
        queues.append({
            "id": queue.id, "prefix": queue.prefix, "name_ja": queue.name_ja,
            "name_en": queue.name_en, "waiting": view.waiting_count(queue.id),
            "longest_wait_minutes": _minutes(longest),
            "alert": longest is not None and longest > threshold_minutes,
        })  # fmt: skip
    states = {c.counter_id: c for c in view.snapshot.counters}
    counters = []
    for counter in view.counters:
        state = states[counter.id]
        busy = state.busy_since is not None
        counters.append({
            "id": counter.id, "code": counter.code, "name": counter.name,
            "state": "serving" if busy else ("open" if state.is_open else "closed"),
            "service_minutes": None if state.busy_since is None else _minutes(-state.busy_since),
        })  # fmt: skip
    return {"threshold_minutes": threshold_minutes, "queues": queues, "counters": counters}
