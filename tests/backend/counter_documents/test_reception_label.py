"""The record names a visit from a ticket by its number and day, as printed on its papers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.queue import service as queue_service
from backend.queue.models import Queue
from tests.backend.counter.conftest import Clerk


def _record(clerk: Clerk, body: dict[str, object]) -> dict[str, object]:
    response = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id, **body})
    assert response.status_code == 201, response.text
    visit_id = response.json()["id"]
    assert clerk.patch(f"/api/v1/visits/{visit_id}", {"event": "certificate"}).status_code == 200
    record = clerk.get(f"/api/v1/visits/{visit_id}/record")
    assert record.status_code == 200, record.text
    return record.json()  # type: ignore[no-any-return]


def test_visit_from_a_ticket_is_labelled_with_its_number_and_day(clerk: Clerk, db: Session) -> None:
    queue = db.scalars(select(Queue).where(Queue.prefix == "A")).one()
    db.info["tenant_id"] = clerk.tenant.id
    issued = dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)  # 00:30 on 2 December in Tokyo
    ticket = queue_service.issue_ticket(db, queue_id=queue.id, now=issued)
    db.info["tenant_id"] = None
    record = _record(clerk, {"ticket_id": ticket.id})
    assert record["reception_label"] == f"{ticket.display_number} 2026-12-02"
    assert ticket.display_number.startswith("A-")


def test_visit_without_a_ticket_has_no_label(clerk: Clerk) -> None:
    assert "reception_label" not in _record(clerk, {})
