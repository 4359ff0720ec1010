"""The supervisor's view during the day: each queue's waiting count and longest wait, each
counter's state and current service time, and an alert when a wait passes the threshold."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from backend.queue.service import default_office
from backend.queue.status import office_view


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
