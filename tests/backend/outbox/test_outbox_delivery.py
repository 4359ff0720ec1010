"""The worker's delivery loop against a real loopback receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from backend.counter.handoff import enqueue_handoff
from backend.platform.audit.models import AuditEvent
from backend.platform.db import session_scope
from backend.platform.outbox import delivery, service
from backend.platform.outbox.models import DeliveryAttempt, MessageStatus, OutboxMessage
from integrations.receiver import WebhookReceiver
from tests.helpers.sql import engine_statements, executions


def _messages() -> list[OutboxMessage]:
    with session_scope(unscoped=True) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))


def _run_until(condition: Any, rounds: int = 400) -> None:
    """Run worker rounds until ``condition()``; the loop bound is a safety net, not a timing."""
    for _ in range(rounds):
        if condition():
            return
        if delivery.deliver_due() == 0:
            time.sleep(0.02)
    raise AssertionError("the outbox did not reach the expected state")


def test_handoff_is_delivered_signed_once_with_every_attempt_recorded(
    committed_db: Any, receiver: WebhookReceiver, handoff_helpers: Any
) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, **h.webhook_destination(receiver.url))
        (message,) = h.close_visits(session, committed_db.tenant_id, 1)
        key = message.idempotency_key
    assert delivery.deliver_due() == 1
    assert delivery.deliver_due() == 0
    (row,) = _messages()
    assert row.status == MessageStatus.DELIVERED and row.attempts == 1
    payload = receiver.store.by_id[key]
    assert payload["schema"] == "madoguchi.handoff/1"
    assert payload["record"]["visit_id"] == payload["visit_id"] == row.key
    assert payload["version"] == 1 and payload["idempotency_key"] == key
    with session_scope(unscoped=True) as session:
        attempts = list(session.scalars(select(DeliveryAttempt)))
        assert [a.ok for a in attempts] == [True]
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"handoff.enqueued", "handoff.delivered"} <= actions


def test_payload_is_encrypted_at_rest(committed_db: Any, handoff_helpers: Any) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.close_visits(session, committed_db.tenant_id, 1)
    with committed_db.engine.connect() as conn:
        raw = conn.execute(text("SELECT payload FROM outbox_messages")).scalar_one()
    assert "窓口" not in raw and "1985-04-01" not in raw
    assert _messages()[0].payload["record"]["members"][0]["name"] == "窓口　太郎"  # type: ignore[index]


def test_receiver_down_for_a_while_gets_everything_once_back(
    committed_db: Any, receiver: WebhookReceiver, handoff_helpers: Any
) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, **h.webhook_destination(receiver.url))
        h.close_visits(session, committed_db.tenant_id, 5)
    receiver.down = True
    _run_until(lambda: all(m.attempts >= 3 for m in _messages()))
    assert len(receiver.store) == 0
    assert all(m.status == MessageStatus.PENDING and "503" in (m.last_error or "")
               for m in _messages())  # fmt: skip
    receiver.down = False
    _run_until(lambda: all(m.status == MessageStatus.DELIVERED for m in _messages()))
    assert len(receiver.store) == 5
    assert receiver.store.duplicates == 0


def test_dead_letter_after_max_attempts_then_replay_by_cli(
    committed_db: Any, receiver: WebhookReceiver, handoff_helpers: Any
) -> None:
    from backend.cli import build_app

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(
            session, committed_db.tenant_id, **h.webhook_destination(receiver.url, max_attempts=3)
        )
        h.close_visits(session, committed_db.tenant_id, 1)
    receiver.down = True
    _run_until(lambda: _messages()[0].status == MessageStatus.DEAD)
    (dead,) = _messages()
    assert dead.attempts == 3
    with session_scope(unscoped=True) as session:
        n = session.scalar(select(func.count()).select_from(DeliveryAttempt))
        assert n == 3
    receiver.down = False
    runner = CliRunner()
    result = runner.invoke(build_app(), ["outbox", "replay", dead.id])
    assert result.exit_code == 0, result.output
    assert _messages()[0].status == MessageStatus.PENDING
    _run_until(lambda: _messages()[0].status == MessageStatus.DELIVERED)
    assert len(receiver.store) == 1
    missing = runner.invoke(build_app(), ["outbox", "replay", "no-such-id"])
    assert missing.exit_code == 1


def test_refused_payload_goes_dead_at_once(
    committed_db: Any, receiver: WebhookReceiver, handoff_helpers: Any
) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        values = h.webhook_destination(receiver.url, secret="whsec_" + "d3Jvbmc=")
        h.add_destination(session, committed_db.tenant_id, **values)
        h.close_visits(session, committed_db.tenant_id, 1)
    delivery.deliver_due()
    (message,) = _messages()
    assert message.status == MessageStatus.DEAD and "401" in (message.last_error or "")


def test_several_destinations_at_once_including_csv(
    committed_db: Any, receiver: WebhookReceiver, handoff_helpers: Any, tmp_path: Path
) -> None:
    h = handoff_helpers
    drop = tmp_path / "rpa"
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, **h.webhook_destination(receiver.url))
        h.add_destination(session, committed_db.tenant_id, name="rpa", kind="csv",
                          config={"folder": str(drop), "encoding": "utf-8-sig"})  # fmt: skip
        h.close_visits(session, committed_db.tenant_id, 2)
    _run_until(lambda: all(m.status == MessageStatus.DELIVERED for m in _messages()))
    assert len(_messages()) == 4 and len(receiver.store) == 2
    files = sorted(drop.iterdir())
    assert len(files) == 2
    with files[0].open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["member_name"] == "窓口　太郎" and row["event"] == "moving-in"


def test_a_second_handoff_of_a_visit_is_a_new_version(
    committed_db: Any, handoff_helpers: Any
) -> None:
    from backend.counter.models import Visit

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        (first,) = h.close_visits(session, committed_db.tenant_id, 1)
        visit = session.get(Visit, first.key)
        assert visit is not None
        (second,) = enqueue_handoff(session, visit, h.record, [])
        assert (first.version, second.version) == (1, 2)
        assert first.idempotency_key.endswith("-v1") and second.idempotency_key.endswith("-v2")
        assert first.idempotency_key[:-3] == second.idempotency_key[:-3]


def test_two_claimers_never_share_a_message(committed_db: Any, handoff_helpers: Any) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.close_visits(session, committed_db.tenant_id, 15)
    (destination,) = delivery.active_destinations()
    first = delivery.claim(destination, limit=10)
    second = delivery.claim(destination, limit=10)
    assert len(first) == 10 and len(second) == 5
    assert not {m for m, _ in first} & {m for m, _ in second}
    assert delivery.claim(destination) == []


def test_a_claim_gets_its_rows_back_from_the_update_oldest_first(
    committed_db: Any, handoff_helpers: Any
) -> None:
    """Not read again by ``claim_token`` (no index: a scan of the whole table each claim)."""
    from backend.platform.db import get_engine

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.close_visits(session, committed_db.tenant_id, 3)
    (destination,) = delivery.active_destinations()
    with engine_statements(get_engine()) as sent:
        claimed = delivery.claim(destination)
    assert not [s for s in sent if "claim_token =" in s and s.startswith("SELECT")]
    with session_scope(unscoped=True) as session:
        oldest_first = list(
            session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.created_at))
        )
    assert [message for message, _ in claimed] == oldest_first
    assert len({token for _, token in claimed}) == 1


def test_a_claim_walks_the_undelivered_messages_in_order(
    committed_db: Any, handoff_helpers: Any
) -> None:
    """Planned on the partial index of the undelivered (sequential scans off, most messages
    delivered): not a bitmap scan of ``ix_outbox_messages_due``, which reads every delivered
    message's dead entries again at each claim until autovacuum comes."""
    from backend.platform.db import get_engine

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.close_visits(session, committed_db.tenant_id, 40)
        delivered = session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))
        for message in list(delivered)[:36]:
            message.status = MessageStatus.DELIVERED
    engine = get_engine()
    (destination,) = delivery.active_destinations()
    with executions(engine) as sent:
        assert len(delivery.claim(destination)) == 4
    (statement, parameters) = next(
        (s, p)
        for s, p in sent
        if s.startswith("SELECT") and "ORDER BY outbox_messages.created_at" in s
    )
    with engine.connect() as connection:
        connection.execute(text("ANALYZE outbox_messages"))
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
            plan = json.dumps(
                connection.exec_driver_sql(
                    f"EXPLAIN (FORMAT JSON) {statement}", parameters
                ).scalar()
            )
            assert "Bitmap Heap Scan" not in plan, plan
            update, update_parameters = next((s, p) for s, p in sent if s.startswith("UPDATE"))
            by_id = json.dumps(
                connection.exec_driver_sql(
                    f"EXPLAIN (FORMAT JSON) {update}", update_parameters
                ).scalar()
            )
            assert "pk_outbox_messages" in by_id, by_id  # the chosen rows, by their ids
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = " ".join(str(row[-1]) for row in rows)
    assert "ix_outbox_messages_claimable" in plan, plan


def test_handoff_exists_only_if_the_closing_transaction_commits(
    committed_db: Any, handoff_helpers: Any
) -> None:
    import pytest

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
    with pytest.raises(RuntimeError), session_scope(unscoped=True) as session:
        h.close_visits(session, committed_db.tenant_id, 1)
        raise RuntimeError("closing the visit failed after the hand-off was written")
    assert _messages() == []


def test_documents_are_linked_with_form_hash_and_url(
    committed_db: Any, handoff_helpers: Any
) -> None:
    import hashlib

    from backend.counter.models import Document, Visit

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        session.info["tenant_id"] = committed_db.tenant_id
        visit = Visit(tenant_id=committed_db.tenant_id, status="closed")
        session.add(visit)
        session.flush()
        document = Document(
            tenant_id=committed_db.tenant_id, visit_id=visit.id, form="moving-in",
            filename="a.pdf", content_type="application/pdf",
            sha256=hashlib.sha256(b"a").hexdigest(), content=b"a",
        )  # fmt: skip
        session.add(document)
        session.flush()
        (message,) = enqueue_handoff(session, visit, h.record, [document])
        (link,) = message.payload["documents"]  # type: ignore[index]
    assert link["form"] == "moving-in" and link["sha256"] == document.sha256
    assert link["url"].endswith(f"/api/v1/handoffs/documents/{document.id}")


def test_payload_of_delivered_handoffs_is_purged_after_retention(
    committed_db: Any, receiver: WebhookReceiver, handoff_helpers: Any
) -> None:
    import datetime as dt

    import pytest

    from backend.platform.errors import Conflict

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, **h.webhook_destination(receiver.url))
        h.close_visits(session, committed_db.tenant_id, 2)
    _run_until(lambda: all(m.status == MessageStatus.DELIVERED for m in _messages()))
    assert delivery.purge_delivered_payloads(force=True) == 0  # within retention
    old, _recent = _messages()
    with session_scope(unscoped=True) as session:
        row = session.get(OutboxMessage, old.id)
        assert row is not None
        row.delivered_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    assert delivery.purge_delivered_payloads(force=True) == 1
    purged, kept = _messages()
    assert purged.payload is None and kept.payload is not None
    assert purged.idempotency_key == old.idempotency_key  # the trail stays
    with pytest.raises(Conflict), session_scope(unscoped=True) as session:
        service.replay(session, purged.id, tenant_id=None, actor="test")
