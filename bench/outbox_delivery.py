"""Outbox delivery throughput: hand-offs per second through the worker loop, against the
same number of signed POSTs sent directly (the baseline, measured in the same run).

    .venv/bin/python bench/outbox_delivery.py [COUNT]

Uses a temporary SQLite file (or MADOGUCHI_BENCH_DATABASE_URL, e.g. a PostgreSQL database
you can drop) and the reference receiver on loopback.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MADOGUCHI_ENVIRONMENT", "test")

from sqlalchemy import delete

import backend.models  # noqa: F401
from backend.counter.handoff import enqueue_handoff
from backend.counter.models import Visit
from backend.platform import db as db_module
from backend.platform import migrate
from backend.platform.db import session_scope
from backend.platform.outbox import delivery, service
from backend.platform.outbox.models import Destination
from backend.platform.outbox.schemas import DestinationCreate
from backend.seed import seed_demo
from integrations.receiver import WebhookReceiver
from integrations.webhook import WebhookAdapter

SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0zMmI="
RECORD = {
    "schema": "madoguchi.visit/1",
    "tenant": {"code": "991007", "name": "窓口デモ市"},
    "event": "moving-in",
    "event_date": "2026-11-20",
    "filed_on": "2026-11-24",
    "members": [{"name": "窓口　太郎", "birth_date": "1985-04-01", "source": "card"}],
}


def main(count: int) -> None:
    url = os.environ.get("MADOGUCHI_BENCH_DATABASE_URL")
    tmp = tempfile.TemporaryDirectory()
    url = url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = db_module.make_engine(url)
    migrate.upgrade(engine)
    db_module.reset_engine(engine)
    receiver = WebhookReceiver(SECRET).start()
    with session_scope(unscoped=True) as session:
        tenant = seed_demo(session)
        session.execute(delete(Destination))  # only the bench's destination
        body = DestinationCreate(
            name="bench", kind="webhook", config={"url": receiver.url}, secret=SECRET
        )
        service.create_destination(session, tenant.id, body)
        started = time.perf_counter()
        for _ in range(count):
            visit = Visit(tenant_id=tenant.id, status="closed", closed_at=dt.datetime.now(dt.UTC))
            session.add(visit)
            session.flush()
            messages = enqueue_handoff(session, visit, RECORD, [])
    enqueue_s = time.perf_counter() - started
    with session_scope(unscoped=True) as session:
        from backend.platform.outbox.models import OutboxMessage
        from contracts.handoff import Handoff

        sample = Handoff.model_validate(session.get(OutboxMessage, messages[0].id).payload)  # type: ignore[union-attr]

    started = time.perf_counter()
    while delivery.deliver_due():
        pass
    worker_s = time.perf_counter() - started
    assert len(receiver.store) == count, len(receiver.store)

    adapter = WebhookAdapter(receiver.url, SECRET)
    started = time.perf_counter()
    for i in range(count):
        adapter.deliver(sample.model_copy(update={"idempotency_key": f"direct-{i}"}))
    direct_s = time.perf_counter() - started
    receiver.stop()

    def line(label: str, seconds: float) -> str:
        return f"{label:<20}{count / seconds:8.1f} /s  ({seconds * 1000 / count:.2f} ms each)"

    print(f"database            {engine.dialect.name}")
    print(f"hand-offs           {count}")
    print(line("enqueue", enqueue_s))
    print(line("worker delivery", worker_s))
    print(line("direct POST (base)", direct_s))
    print(f"ratio worker/direct {worker_s / direct_s:8.2f} x the time of a bare signed POST")
    tmp.cleanup()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
