"""The resident's follow page shows 処理中／完了 of the back office's work only where the
municipality allows it (``Tenant.follow_shows_outcome``, default off)."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.backoffice import service as backoffice
from backend.backoffice.models import WorkItem
from backend.backoffice.states import WorkItemAction
from backend.counter.handoff import enqueue_handoff
from backend.counter.models import Visit, VisitEvent
from backend.identity.tenants.service import set_follow_shows_outcome
from backend.platform.access import Principal, Role, StaffRef
from backend.queue import service as queue
from backend.queue.models import Queue, TicketStatus
from backend.seed import DEMO_TENANT_CODE, seed_demo
from tests.backend.backoffice.conftest import PROCEDURES, RECORD

TEN_IN_TOKYO = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)


def test_the_follow_page_shows_processing_then_done_where_the_municipality_allows(
    client: TestClient, db: Session
) -> None:
    tenant = seed_demo(db)
    db.info["tenant_id"] = tenant.id
    queue_id = db.scalars(select(Queue.id).where(Queue.prefix == "A")).first()
    assert queue_id is not None
    ticket = queue.issue_ticket(db, queue_id=queue_id, now=TEN_IN_TOKYO)
    ticket.status = TicketStatus.DONE
    visit = Visit(tenant_id=tenant.id, status="closed", event="moving-in", ticket_id=ticket.id,
                  closed_at=dt.datetime.now(dt.UTC))  # fmt: skip
    db.add(visit)
    db.flush()
    follow = f"/api/v1/follow/{ticket.follow_token}"
    assert client.get(follow).json()["outcome"] is None  # nothing handed off yet
    enqueue_handoff(db, visit, RECORD, [], procedures=PROCEDURES)
    assert client.get(follow).json()["outcome"] is None  # the default: not shown
    set_follow_shows_outcome(db, code=DEMO_TENANT_CODE, shown=True, actor="test")
    assert client.get(follow).json()["outcome"] == "processing"
    staff = StaffRef("s1", tenant.id, Role.BACK_OFFICE, "backoffice", "後方　次郎")
    principal = Principal(tenant_id=tenant.id, staff=staff)
    items = db.scalars(select(WorkItem).order_by(WorkItem.position)).all()
    backoffice.act(db, principal, items[0].id, WorkItemAction.RETURN, "写しがありません")
    assert client.get(follow).json()["outcome"] == "processing"  # a return stays 処理中
    backoffice.act(db, principal, items[0].id, WorkItemAction.REOPEN)
    for item in items:
        db.refresh(item)
        backoffice.act(db, principal, item.id, WorkItemAction.TAKE)
        for character in range(len(backoffice.get_case(db, item.case_id).characters or [])):
            backoffice.decide_character(db, principal, item.case_id, character, "substitute")
        backoffice.act(db, principal, item.id, WorkItemAction.ADVANCE)
        backoffice.act(db, principal, item.id, WorkItemAction.ADVANCE)
    shown = client.get(follow).json()
    assert shown["outcome"] == "done"
    assert "髙橋" not in str(shown)  # still no personal data on the public page
    # the journey records each outcome
    journey = db.scalars(select(VisitEvent.kind).where(VisitEvent.visit_id == visit.id)).all()
    assert journey.count("work_item.done") == 3 and "work_item.returned" in journey
