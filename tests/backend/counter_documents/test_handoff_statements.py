"""What a hand-off sends to the database (issue 17).

Pinned: the tenant's destinations are read once (for the copies, their facts and the case's
character set), the next versions of all the copies in one statement, a case opened now reads
no work items, and the count of work items the journey records needs no statement. A resend
still makes version 2 of every copy and keeps the case's work items.
"""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.backoffice import service as backoffice
from backend.backoffice.models import WorkItem
from backend.counter.handoff import enqueue_handoff
from backend.counter.models import Visit
from backend.platform.outbox.models import OutboxMessage
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import (
    signed_visit,
)
from tests.helpers.sql import count_starting, statements


def test_a_hand_off_reads_the_destinations_once_and_the_versions_in_one_statement(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = signed_visit(clerk, db, client)
    with statements(db) as sent:
        closed = clerk.post(f"/api/v1/visits/{vid}/handoff")
    assert closed.status_code == 200, closed.text
    messages = db.scalars(select(OutboxMessage).where(OutboxMessage.key == vid)).all()
    assert len(messages) >= 2  # the demo tenant's destinations: one copy each
    assert {m.version for m in messages} == {1}
    assert count_starting(sent, "SELECT outbox_destinations") == 1
    assert (
        count_starting(sent, "SELECT outbox_messages.destination_id, max(outbox_messages.version)")
        == 1
    )
    assert count_starting(sent, "SELECT max(outbox_messages.version)") == 0
    assert count_starting(sent, "SELECT backoffice_cases") == 1
    assert count_starting(sent, "SELECT backoffice_work_items") == 0  # a case opened now has none
    assert count_starting(sent, "SELECT count(backoffice_work_items.id)") == 0
    taken = db.scalar(select(func.count(WorkItem.id)))
    events = clerk.get(f"/api/v1/visits/{vid}/journey").json()["events"]
    handed = next(e for e in events if e["kind"] == "handed_off")
    assert handed["data"]["procedures_taken"] == taken
    assert handed["data"]["messages"] == len(messages)


def _closed_visit(db: Session, tenant_id: str) -> Visit:
    db.info["tenant_id"] = tenant_id
    visit = Visit(
        tenant_id=tenant_id, status="closed", event="moving-in", closed_at=dt.datetime.now(dt.UTC)
    )
    db.add(visit)
    db.flush()
    return visit


RECORD = {
    "schema": "madoguchi.visit/1",
    "tenant": {"code": "991007", "name": "窓口デモ市"},
    "event": "moving-in",
    "event_date": "2026-11-20",
    "filed_on": "2026-11-24",
    "new_address": "窓口デモ市本町一丁目２番３号",
    "reception_label": "A-001 2026-11-24",
    "members": [{"name": "試験　太郎", "birth_date": "1985-04-01", "sex": "1", "source": "staff"}],
}
COUNTER = {"id": "shimin-idou", "name": "市民課 住民異動"}
PROCEDURES = [
    {"id": p, "name": p, "department": d, "counter": COUNTER, "reasons": ["試験"], "deadline": None}
    for p, d in (("moving-in", "市民課"), ("nhi-join", "保険年金課"))
]


def test_a_resend_makes_version_two_of_every_copy_and_keeps_the_work_items(
    clerk: Clerk, db: Session
) -> None:
    visit = _closed_visit(db, clerk.tenant.id)
    first = enqueue_handoff(db, visit, RECORD, [], procedures=PROCEDURES[:1])
    assert backoffice.work_item_count(db, visit.id) == 1
    with statements(db) as sent:
        second = enqueue_handoff(db, visit, RECORD, [], procedures=PROCEDURES)
        counted = backoffice.work_item_count(db, visit.id)
    assert len(second) == len(first) >= 2
    assert [m.destination for m in second] == [m.destination for m in first]  # same order
    assert {m.version for m in second} == {2}
    assert all(m.idempotency_key.endswith("-v2") for m in second)
    assert count_starting(sent, "SELECT outbox_destinations") == 1
    assert count_starting(sent, "SELECT outbox_messages.destination_id, max(") == 1
    assert count_starting(sent, "SELECT backoffice_work_items") == 1  # the resent case's items
    assert counted == 2 == db.scalar(select(func.count(WorkItem.id)))
    assert count_starting(sent, "SELECT count(backoffice_work_items.id)") == 0


def test_the_remembered_count_is_forgotten_at_the_next_write(clerk: Clerk, db: Session) -> None:
    visit = _closed_visit(db, clerk.tenant.id)
    enqueue_handoff(db, visit, RECORD, [], procedures=PROCEDURES)
    case_id = db.scalar(select(WorkItem.case_id))
    db.add(
        WorkItem(
            tenant_id=clerk.tenant.id,
            case_id=case_id,
            position=9,
            procedure_id="extra",
            procedure_name="追加",
            department="税務課",
            state="received",
        )
    )
    db.flush()
    with statements(db) as sent:
        assert backoffice.work_item_count(db, visit.id) == 3
    assert count_starting(sent, "SELECT count(backoffice_work_items.id)") == 1
