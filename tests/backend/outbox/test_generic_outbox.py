"""The outbox is generic: any topic, any key, a JSON payload, an adapter chosen by kind."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from backend.platform.audit.models import AuditEvent
from backend.platform.db import session_scope
from backend.platform.outbox import adapters, delivery, service
from backend.platform.outbox.models import (
    DeliveryAttempt,
    Destination,
    MessageStatus,
    OutboxMessage,
)
from backend.platform.outbox.topics import TOPICS, Topic, register_topic
from integrations.base import DeliveryResult


@dataclass
class Recorder:
    """An adapter that keeps what it was given."""

    received: list[Any] = field(default_factory=list)

    def deliver(self, message: Any, /) -> DeliveryResult:
        self.received.append(message)
        return DeliveryResult(True, "kept")


@dataclass(frozen=True)
class Greeting:
    text: str


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    kept = Recorder()
    monkeypatch.setitem(adapters.ADAPTER_FACTORIES, "memory", lambda destination: kept)
    topic = Topic(
        "greeting",
        decode=lambda payload: Greeting(payload["text"]),
        retention=lambda session: [(tenant, dt.timedelta(days=1)) for tenant in _tenants()],
    )
    monkeypatch.setitem(TOPICS, "greeting", topic)
    return kept


_TENANTS: list[str] = []


def _tenants() -> list[str]:
    return list(_TENANTS)


def _add_memory_destination(tenant_id: str) -> str:
    with session_scope(unscoped=True, write=True) as session:
        destination = Destination(tenant_id=tenant_id, name="memory", kind="memory", config={})
        session.add(destination)
        session.flush()
        return destination.id


def test_any_topic_is_enqueued_delivered_and_audited_by_its_name(
    committed_db: Any, recorder: Recorder
) -> None:
    destination_id = _add_memory_destination(committed_db.tenant_id)
    with session_scope(unscoped=True, write=True) as session:
        (first,) = service.enqueue(
            session, tenant_id=committed_db.tenant_id, topic="greeting", key="k1",
            payload={"text": "こんにちは"},
        )  # fmt: skip
        (second,) = service.enqueue(
            session, tenant_id=committed_db.tenant_id, topic="greeting", key="k1",
            payload=lambda envelope: {"text": envelope.idempotency_key},
        )  # fmt: skip
        keys = (first.idempotency_key, second.idempotency_key)
    assert keys == (f"greeting-k1-{destination_id}-v1", f"greeting-k1-{destination_id}-v2")
    assert delivery.deliver_due() == 2
    assert recorder.received == [Greeting("こんにちは"), Greeting(keys[1])]
    with session_scope(unscoped=True) as session:
        delivered = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "greeting.delivered")
        ).all()
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert len(delivered) == 2 and {event.visit_id for event in delivered} == {None}
    assert statuses == {MessageStatus.DELIVERED}


def test_delivered_payloads_are_purged_by_their_topics_retention(
    committed_db: Any, recorder: Recorder
) -> None:
    _add_memory_destination(committed_db.tenant_id)
    with session_scope(unscoped=True, write=True) as session:
        (message,) = service.enqueue(
            session, tenant_id=committed_db.tenant_id, topic="greeting", key="k",
            payload={"text": "x"},
        )  # fmt: skip
    delivery.deliver_due()
    with session_scope(unscoped=True, write=True) as session:
        row = session.get(OutboxMessage, message.id)
        assert row is not None
        row.delivered_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    _TENANTS[:] = []
    assert delivery.purge_delivered_payloads(force=True) == 0  # no tenant under this policy
    _TENANTS[:] = [committed_db.tenant_id]
    try:
        assert delivery.purge_delivered_payloads(force=True) == 1
    finally:
        _TENANTS[:] = []
    with session_scope(unscoped=True) as session:
        row = session.get(OutboxMessage, message.id)
        assert row is not None and row.payload is None and row.key == "k"


def test_the_worker_is_nudged_after_commit_and_not_after_rollback(
    committed_db: Any, recorder: Recorder
) -> None:
    _add_memory_destination(committed_db.tenant_id)
    service.enqueued.clear()
    with pytest.raises(RuntimeError), session_scope(unscoped=True, write=True) as session:
        service.enqueue(
            session, tenant_id=committed_db.tenant_id, topic="greeting", key="k",
            payload={"text": "x"},
        )  # fmt: skip
        assert not service.enqueued.is_set()  # not before the commit
        raise RuntimeError("the change failed")
    assert not service.enqueued.is_set()
    with session_scope(unscoped=True, write=True) as session:
        service.enqueue(
            session, tenant_id=committed_db.tenant_id, topic="greeting", key="k",
            payload={"text": "x"},
        )  # fmt: skip
    assert service.enqueued.is_set()
    service.enqueued.clear()


def test_an_unknown_topic_is_delivered_as_its_payload(
    committed_db: Any, recorder: Recorder
) -> None:
    _add_memory_destination(committed_db.tenant_id)
    with session_scope(unscoped=True, write=True) as session:
        service.enqueue(
            session, tenant_id=committed_db.tenant_id, topic="raw", key="k", payload={"a": 1}
        )
    delivery.deliver_due()
    assert recorder.received == [{"a": 1}]


def test_register_topic_replaces_by_name() -> None:
    before = TOPICS.get("handoff")
    try:
        register_topic(Topic("handoff"))
        assert TOPICS["handoff"].retention is None
    finally:
        assert before is not None
        register_topic(before)


def test_a_receivers_error_text_is_stored_masked(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    """A receiver that echoes what it was sent must not put it into the attempt log."""
    echoed = "400 bad field: 123456789018 tel 090-1234-5678 at /in?name=x"

    class Refusing:
        def deliver(self, message: Any, /) -> DeliveryResult:
            return DeliveryResult(False, echoed, retryable=False)

    monkeypatch.setitem(adapters.ADAPTER_FACTORIES, "memory", lambda destination: Refusing())
    _add_memory_destination(committed_db.tenant_id)
    with session_scope(unscoped=True, write=True) as session:
        service.enqueue(
            session, tenant_id=committed_db.tenant_id, topic="greeting", key="k9",
            payload={"text": "x"},
        )  # fmt: skip
    delivery.deliver_due()
    with session_scope(unscoped=True) as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.key == "k9")).all()
        (attempt,) = session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.message_id == message.id)
        ).all()
    for stored in (message.last_error, attempt.detail):
        assert stored is not None and stored.startswith("400 bad field")
        assert "123456789018" not in stored
        assert "090-1234-5678" not in stored
        assert "name=x" not in stored
