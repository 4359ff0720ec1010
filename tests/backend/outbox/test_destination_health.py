"""Issue 18: the admin sees each back-office destination's health — last success, last failure
in words, pending and dead letters, the last deliveries."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.platform.outbox.health import in_words
from backend.platform.outbox.models import (
    DeliveryAttempt,
    Destination,
    MessageStatus,
    OutboxMessage,
)
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def message(destination: Destination, n: int, status: str, **fields: object) -> OutboxMessage:
    return OutboxMessage(
        tenant_id=destination.tenant_id,
        topic="handoff",
        destination=destination.name,
        destination_id=destination.id,
        idempotency_key=f"health-test-{n}",
        key=f"V-{n}",
        status=status,
        created_at=T0 + dt.timedelta(minutes=n),
        **fields,
    )


def test_the_admin_sees_each_destination_s_health(client: TestClient, db: Session) -> None:
    tenant = seed_demo(db)
    csv = db.scalars(
        select(Destination).where(Destination.tenant_id == tenant.id, Destination.kind == "csv")
    ).one()
    done = message(csv, 1, MessageStatus.DELIVERED, attempts=1, delivered_at=T0)
    dead = message(csv, 2, MessageStatus.DEAD, attempts=10, last_error="cannot write")
    waiting = message(csv, 3, MessageStatus.PENDING)
    db.add_all([done, dead, waiting])
    db.flush()
    failure = "cannot write to drop/rpa: Permission denied"
    db.add(DeliveryAttempt(tenant_id=tenant.id, message_id=dead.id, ok=False, detail=failure,
                           at=T0 + dt.timedelta(hours=1)))  # fmt: skip
    db.flush()
    login = {"tenant_code": DEMO_TENANT_CODE, "username": "admin", "password": DEMO_PASSWORD}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200

    listed = {d["name"]: d for d in client.get("/api/v1/outbox/destinations/health").json()}
    row = listed[csv.name]
    assert (row["pending"], row["dead"], row["delivered"]) == (1, 1, 1)
    assert row["last_success_at"].startswith("2026-12-03T09:00")
    assert row["last_failure_at"].startswith("2026-12-03T10:00")
    assert row["last_failure"] == failure
    assert row["last_failure_in_words"].startswith("CSV の置き場所に書き込めませんでした")
    assert [d["id"] for d in row["recent"]] == [waiting.id, dead.id, done.id]
    pull = next(d for d in listed.values() if d["kind"] == "pull")
    assert pull["last_failure"] is None and pull["recent"] == []


@pytest.mark.parametrize(
    ("detail", "words"),
    [
        ("timeout after 10s", "受信側が 10 秒以内に応答しませんでした"),
        ("HTTP 403: forbidden", "署名の秘密鍵"),
        ("HTTP 503: busy", "受信側のサーバーでエラーが起きています（HTTP 503）"),
        ("ConnectError: [Errno 111] Connection refused", "受信側に接続できませんでした"),
        ("cannot connect to the broker: AMQPConnectionError", "受信側に接続できませんでした"),
        ("unroutable: no queue bound to the routing key", "ルーティングキー"),
        ("something new", "送信できませんでした"),
    ],
)
def test_an_adapter_s_error_is_told_in_words(detail: str, words: str) -> None:
    told = in_words(detail)
    assert told is not None and words in told
