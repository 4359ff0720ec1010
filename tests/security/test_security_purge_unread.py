"""Issue 14 item 4: ``madoguchi purge`` works, and retention does not wait for a receiver.

A visit is purged ``retention_days`` after closing (or its last delivery) whatever the state
of its hand-offs: a pull feed nobody consumes, a webhook that is down. What it purges before
the receiver took it is *purged unread* and shown to the operator (count, destination, oldest)
in ``madoguchi purge --dry-run [--json]`` and the back office (``/outbox/destinations``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter import retention
from backend.counter.models import Visit
from backend.counter.states import VisitStatus
from backend.platform import db as db_module
from backend.platform import migrate
from backend.platform.db import session_scope, utcnow
from backend.platform.outbox import service as outbox
from backend.platform.outbox.models import Destination, MessageStatus, OutboxMessage
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from tests.conftest import POSTGRES_URL, scratch_postgres_url

PULL = "backoffice-pull"  # the seeded pull feed nobody consumes


def _due_visit(session: Session, tenant_id: str, *, days: float = 31) -> Visit:
    """A visit closed ``days`` ago whose hand-off sits unread in the seeded pull feed."""
    closed = utcnow() - dt.timedelta(days=days)
    visit = Visit(tenant_id=tenant_id, applicant_name="窓口　花子", status=VisitStatus.CLOSED,
                  closed_at=closed)  # fmt: skip
    session.add(visit)
    session.flush()
    pull = session.scalars(
        select(Destination).where(
            Destination.tenant_id == tenant_id, Destination.name == "backoffice-pull"
        )
    ).one()
    session.add(OutboxMessage(tenant_id=tenant_id, topic="handoff", destination=pull.name,
                              destination_id=pull.id, idempotency_key=f"k-{visit.id}",
                              key=visit.id, payload={"name": "窓口　花子"},
                              status=MessageStatus.PUBLISHED, feed_seq=1,
                              created_at=closed))  # fmt: skip
    session.flush()
    return visit


def test_an_unread_pull_message_does_not_hold_retention_back(db: Session) -> None:
    tenant = seed_demo(db)
    visit = _due_visit(db, tenant.id)
    plan = retention.plan(db)
    assert [item.visit_id for item in plan.visits] == [visit.id]
    [summary] = plan.unread
    assert (summary.tenant, summary.destination, summary.count) == (tenant.code, PULL, 1)
    assert retention.execute(db, plan) == 1
    db.expire_all()
    purged = db.get(Visit, visit.id)
    assert purged is not None and purged.purged_at is not None and purged.applicant_name is None
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.key == visit.id)).one()
    assert message.status == MessageStatus.EXPIRED and message.payload is None
    # out of the feed: the receiver is never handed an empty case
    pull = db.get(Destination, message.destination_id)
    assert pull is not None and outbox.feed(db, pull, 0, 10) == []
    [shown] = outbox.purged_unread(db, tenant.id)
    assert (shown.destination, shown.count) == ("backoffice-pull", 1)
    assert retention.plan(db).items == []


def test_a_recent_unread_message_is_kept(db: Session) -> None:
    tenant = seed_demo(db)
    _due_visit(db, tenant.id, days=29)
    assert retention.plan(db).items == []


def test_the_back_office_shows_what_was_purged_unread(client: Any, db: Session) -> None:
    tenant = seed_demo(db)
    retention.execute(db, retention.plan(db))  # nothing before
    _due_visit(db, tenant.id)
    retention.execute(db, retention.plan(db))
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "admin", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    destinations = client.get("/api/v1/outbox/destinations").json()
    pull = next(d for d in destinations if d["name"] == "backoffice-pull")
    assert pull["purged_unread"] == 1 and pull["purged_unread_oldest"] is not None
    assert next(d for d in destinations if d["name"] == "rpa-csv")["purged_unread"] == 0


# --- the CLI as the operator runs it, on a seeded database ------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'purge.db'}"
        else:
            if not POSTGRES_URL:
                pytest.skip("MADOGUCHI_TEST_POSTGRES_URL is not set")
            url = cleanup.enter_context(scratch_postgres_url("madoguchi_purge"))
        engine = db_module.make_engine(url)
        migrate.upgrade(engine)
        previous = db_module._engine
        db_module.reset_engine(engine)
        try:
            yield url
        finally:
            db_module.reset_engine(previous)
            engine.dispose()


def _madoguchi(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MADOGUCHI_DATABASE_URL=url, MADOGUCHI_ENVIRONMENT="test",
               MADOGUCHI_LOG_LEVEL="WARNING")  # fmt: skip
    executable = Path(sys.executable).with_name("madoguchi")
    return subprocess.run([str(executable), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_the_purge_command_purges_a_due_visit(seeded_url: str) -> None:
    with session_scope(unscoped=True) as session:
        tenant = seed_demo(session)
        code = tenant.code
        visit_id = _due_visit(session, tenant.id).id
        # and one handed off with no message at all (due before this change too)
        plain = Visit(tenant_id=tenant.id, applicant_name="窓口　一郎", status=VisitStatus.CLOSED,
                      closed_at=utcnow() - dt.timedelta(days=40))  # fmt: skip
        session.add(plain)
        session.flush()
        plain_id = plain.id

    text = _madoguchi(seeded_url, "purge", "--dry-run")
    assert text.returncode == 0, text.stderr
    assert "backoffice-pull: 1 message(s) would be purged unread" in text.stdout

    dry = _madoguchi(seeded_url, "purge", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["visits"] == 2 and report["dry_run"] is True
    [unread] = report["purged_unread"]
    assert (unread["tenant"], unread["destination"], unread["count"]) == (code, PULL, 1)
    assert unread["oldest"]

    done = _madoguchi(seeded_url, "purge")
    assert done.returncode == 0, done.stderr
    assert "purged 2 item(s)" in done.stdout
    with session_scope(unscoped=True) as session:
        for purged_id in (visit_id, plain_id):
            visit = session.get(Visit, purged_id)
            assert visit is not None and visit.purged_at is not None
            assert visit.applicant_name is None


def test_the_outbox_purge_expires_what_nobody_took_within_its_topic_retention(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import backend.counter.handoff  # noqa: F401 - registers the topic and its retention
    from backend.platform.outbox import delivery

    class Reuse:
        def __enter__(self) -> Session:
            return db

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(delivery, "session_scope", lambda **_: Reuse())
    tenant = seed_demo(db)
    old = _due_visit(db, tenant.id, days=31)
    recent = _due_visit(db, tenant.id, days=1)
    delivery.purge_delivered_payloads(force=True)
    db.expire_all()
    status = dict(db.execute(select(OutboxMessage.key, OutboxMessage.status)).all())
    assert status[old.id] == MessageStatus.EXPIRED
    assert status[recent.id] == MessageStatus.PUBLISHED
