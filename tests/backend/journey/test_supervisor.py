"""The supervisor's view: waiting count, longest wait and an alert past the threshold."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from backend.journey.supervisor import supervisor_view
from backend.queue import service as queue_service
from tests.backend.queue.conftest import MORNING, DemoOffice
from tests.backend.queue.conftest import office as office  # the demo office fixture


def test_longest_wait_and_alert(db: Session, office: DemoOffice) -> None:
    queue = office.queues["A"]
    queue_service.issue_ticket(db, queue_id=queue.id, now=MORNING)
    queue_service.issue_ticket(db, queue_id=queue.id, now=MORNING + dt.timedelta(minutes=20))
    view = supervisor_view(db, 30, now=MORNING + dt.timedelta(minutes=40))
    row = next(q for q in view["queues"] if q["prefix"] == "A")
    assert (row["waiting"], row["longest_wait_minutes"], row["alert"]) == (2, 40.0, True)
    quiet = supervisor_view(db, 45, now=MORNING + dt.timedelta(minutes=40))
    assert not next(q for q in quiet["queues"] if q["prefix"] == "A")["alert"]
    assert {c["state"] for c in view["counters"]} == {"open"}
