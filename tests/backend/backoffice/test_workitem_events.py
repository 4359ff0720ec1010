"""Work-item state changes as events: in the pull feed in commit order, and as webhooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backend.backoffice import service
from backend.backoffice.models import WorkItem
from backend.backoffice.states import WorkItemAction
from backend.platform.access import Principal, Role, StaffRef
from backend.platform.db import session_scope
from backend.platform.outbox import delivery
from backend.platform.outbox import service as outbox
from integrations.receiver import WebhookReceiver
from tests.backend.backoffice.conftest import hand_off


def _principal(tenant_id: str) -> Principal:
    staff = StaffRef("s1", tenant_id, Role.BACK_OFFICE, "backoffice", "後方　次郎")
    return Principal(tenant_id=tenant_id, staff=staff)


def _act(tenant_id: str, item_id: str, action: WorkItemAction, reason: str | None = None) -> None:
    """One change, one committed transaction (as one request is)."""
    with session_scope(tenant_id=tenant_id) as session:
        service.act(session, _principal(tenant_id), item_id, action, reason)


def test_state_changes_reach_the_feed_in_commit_order_and_the_webhook(
    committed_db: Any, handoff_helpers: Any, receiver: WebhookReceiver
) -> None:
    h, tenant_id = handoff_helpers, committed_db.tenant_id
    with session_scope(unscoped=True) as session:
        h.add_destination(session, tenant_id, name="feed", kind="pull",
                          config={"topics": ["workitem"]})  # fmt: skip
        h.add_destination(session, tenant_id, name="plain", kind="pull")
        h.add_destination(session, tenant_id, **h.webhook_destination(
            receiver.url, config={"url": receiver.url, "topics": ["workitem"]}))  # fmt: skip
        hand_off(session, tenant_id)
    with session_scope(unscoped=True) as session:
        first, second, _ = session.scalars(select(WorkItem).order_by(WorkItem.position)).all()
        first_id, second_id = first.id, second.id
    # interleaved changes of two items, each committed on its own
    _act(tenant_id, first_id, WorkItemAction.TAKE)
    _act(tenant_id, second_id, WorkItemAction.TAKE)
    _act(tenant_id, second_id, WorkItemAction.RETURN, "書類が足りません")
    _act(tenant_id, first_id, WorkItemAction.TAKE)  # already held: no change, no event
    delivery.deliver_due()
    _act(tenant_id, second_id, WorkItemAction.REOPEN)
    while delivery.deliver_due():
        pass
    with session_scope(unscoped=True) as session:
        page = outbox.pull_page(session, tenant_id=tenant_id, actor="test",
                                destination_name="feed", after=None, limit=50)  # fmt: skip
        plain = outbox.pull_page(session, tenant_id=tenant_id, actor="test",
                                 destination_name="plain", after=None, limit=50)  # fmt: skip
    topics = [item.topic for item in page.items]
    assert topics == ["handoff", "workitem", "workitem", "workitem", "workitem"]
    events = [item.handoff for item in page.items[1:]]
    assert [(e["work_item_id"], e["previous_state"], e["state"]) for e in events] == [
        (first_id, "received", "input"),
        (second_id, "received", "input"),
        (second_id, "input", "returned"),
        (second_id, "returned", "received"),
    ]
    assert [e["version"] for e in events] == [1, 1, 2, 3]
    assert events[2]["returned"] is True and "書類" not in str(events)  # the reason stays here
    assert all(e["schema"] == "madoguchi.workitem/1" for e in events)
    assert [item.topic for item in plain.items] == ["handoff"]  # did not ask for work items
    received = [
        p for p in receiver.store.by_id.values() if p.get("schema") == "madoguchi.workitem/1"
    ]
    assert sorted(p["state"] for p in received) == ["input", "input", "received", "returned"]
