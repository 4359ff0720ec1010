"""kill -9 of ``madoguchi worker`` in the middle of delivering 50 hand-offs loses nothing.

The worker runs as a real subprocess against the test database (SQLite file, and PostgreSQL
when configured). After the kill, a new worker picks up the claimed rows once their lease
runs out; the receiver, deduplicating by ``webhook-id``, holds exactly 50 cases.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.platform.db import session_scope
from backend.platform.outbox.models import DeliveryAttempt, MessageStatus, OutboxMessage
from integrations.receiver import WebhookReceiver

COUNT = 50


def _worker(url: str) -> subprocess.Popen[bytes]:
    executable = Path(sys.executable).with_name("madoguchi")
    env = dict(os.environ)
    env.update(
        MADOGUCHI_DATABASE_URL=url,
        MADOGUCHI_ENVIRONMENT="test",
        MADOGUCHI_WORKER_POLL_SECONDS="0.05",
        MADOGUCHI_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen([str(executable), "worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip


def _wait_for(condition: Any, what: str, seconds: float = 90.0) -> None:
    """Poll with a generous safety deadline (a hang guard, not a speed assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _delivered() -> int:
    with session_scope(unscoped=True) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == MessageStatus.DELIVERED)
            )
            or 0
        )


@pytest.mark.slow
def test_kill_9_during_delivery_of_50_handoffs_loses_none_and_duplicates_none(
    committed_db: Any, receiver: WebhookReceiver, handoff_helpers: Any
) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        # timeout 1 s → lease 7 s: the restarted worker retries the killed claims after that
        destination = h.webhook_destination(receiver.url, timeout_seconds=1)
        h.add_destination(session, committed_db.tenant_id, **destination)
        h.close_visits(session, committed_db.tenant_id, COUNT)
    receiver.delay_seconds = 0.03  # so that the kill lands while requests are in flight

    first = _worker(committed_db.url)
    try:
        _wait_for(lambda: receiver.store.requests >= 12, "the first worker to start delivering")
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = len(receiver.store)
    assert 0 < at_kill < COUNT

    second = _worker(committed_db.url)
    try:
        _wait_for(lambda: _delivered() == COUNT, "all 50 hand-offs delivered")
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(timeout=10)
        except subprocess.TimeoutExpired:
            second.kill()

    assert len(receiver.store) == COUNT  # the dedup receiver holds exactly 50
    with session_scope(unscoped=True) as session:
        keys = set(session.scalars(select(OutboxMessage.idempotency_key)))
        interrupted = session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.detail.like("interrupted%"))
        )
    assert set(receiver.store.by_id) == keys
    print(
        f"\nkill -9 after {at_kill} stored; {receiver.store.requests} requests, "
        f"{receiver.store.duplicates} duplicates absorbed, {interrupted} interrupted claims"
    )
