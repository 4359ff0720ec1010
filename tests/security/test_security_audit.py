"""The audit trail: chained, append-only in the database, verified, exported."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from security_world import login
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.identity.tenants.models import Tenant
from backend.platform.audit.models import AuditEvent
from backend.platform.audit.service import (
    canonical_around_seq,
    chained_fields,
    events,
    record,
    verify_chain,
    write_pending,
)
from backend.seed import seed_demo
from tests.helpers.cli_db import commands_database


def _chain(db: Session, n: int = 4) -> str:
    tenant = seed_demo(db)
    for i in range(n):
        record(db, tenant_id=tenant.id, action="visit.viewed", actor="staff:x", detail={"i": i})
    return tenant.id


def test_an_intact_chain_verifies(db: Session) -> None:
    tenant_id = _chain(db)
    assert verify_chain(events(db, tenant_id)) == (4, None)


def test_changed_removed_and_reordered_events_are_found(db: Session) -> None:
    tenant_id = _chain(db)
    chain = list(events(db, tenant_id))
    for event in chain:
        db.expunge(event)  # edit copies; the table itself refuses edits (next test)
    changed = [*chain]
    changed[1].detail = {"i": 99}
    assert verify_chain(changed)[1].seq == 2  # type: ignore[union-attr]
    changed[1].detail = {"i": 1}
    assert verify_chain(changed)[1] is None
    removed = [chain[0], chain[2], chain[3]]
    assert verify_chain(removed)[1].seq == 2  # type: ignore[union-attr]
    reordered = [chain[0], chain[2], chain[1], chain[3]]
    assert verify_chain(reordered)[1].seq == 2  # type: ignore[union-attr]
    truncated_head = chain[1:]
    assert verify_chain(truncated_head)[1].seq == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'",
                                       "DELETE FROM audit_events"])  # fmt: skip
def test_the_database_refuses_update_and_delete(db: Session, statement: str) -> None:
    _chain(db, 1)
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement))
    savepoint.rollback()


def test_export_api_for_auditors(client: TestClient, db: Session) -> None:
    seed_demo(db)
    admin = login(client, "admin")
    response = client.get("/api/v1/audit/export", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [r["action"] for r in rows] == ["auth.login", "audit.exported"]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    csv = client.get("/api/v1/audit/export?format=csv", headers=admin)
    assert csv.text.splitlines()[0].startswith("tenant_id,seq,at,actor")
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True
    clerk = login(client, "clerk")
    assert client.get("/api/v1/audit/export", headers=clerk).status_code == 403


def test_cli_verify_and_export_on_a_tampered_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.cli import build_app

    with commands_database(tmp_path, monkeypatch, prepare=lambda s: _chain(s, 3)) as engine:
        runner = CliRunner()
        ok = runner.invoke(build_app(), ["audit", "verify", "--tenant", "991007"])
        assert ok.exit_code == 0, ok.output
        assert "OK (3 events)" in ok.output
        out = tmp_path / "audit.csv"
        exported = runner.invoke(build_app(), ["audit", "export", "--tenant", "991007",
                                               "--format", "csv", "-o", str(out)])  # fmt: skip
        assert exported.exit_code == 0 and len(out.read_text().splitlines()) == 4
        into_a_folder = runner.invoke(build_app(), ["audit", "export", "--tenant", "991007",
                                                    "-o", str(tmp_path)])  # fmt: skip
        assert into_a_folder.exit_code == 2, into_a_folder.output
        assert into_a_folder.output.strip().splitlines() == [
            f"{tmp_path}: 書き込めません (Is a directory)"
        ]
        with engine.begin() as conn:  # an attacker with database access, triggers dropped
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.exec_driver_sql("UPDATE audit_events SET detail = '{\"i\": 7}' WHERE seq = 2")
        broken = runner.invoke(build_app(), ["audit", "verify"])
        assert broken.exit_code == 1
        assert "BROKEN at seq 2" in broken.output


def test_the_chain_is_locked_only_inside_the_commit_on_postgres(postgres_engine: Engine) -> None:
    """The chain's lock is taken and released inside the COMMIT (a deferred trigger): a unit
    whose events are written but not yet committed holds nothing, and another unit of the same
    municipality commits past it. Taken from the client, the lock stayed held while a busy
    process waited for its GIL to send the COMMIT (1.2 connections waiting on it on average at
    64 counters on two processes, issue 17). The chain's order is the order of the commits."""
    engine = postgres_engine
    with Session(engine) as session:
        tenant = Tenant(code=f"96{uuid.uuid4().int % 10000:04d}", name="確定時連鎖村")
        session.add(tenant)
        session.commit()
        tenant_id = tenant.id
    held = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    )
    with Session(engine) as first:
        record(first, tenant_id=tenant_id, action="test.first_written")
        write_pending(first)  # as its commit would, everything but the COMMIT itself
        assert first.execute(held).scalar_one() == 0
        with Session(engine) as second:
            second.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting would fail here
            record(second, tenant_id=tenant_id, action="test.second_written")
            second.commit()
        first.commit()
    with Session(engine) as session:
        session.info["unscoped"] = True
        chain = list(events(session, tenant_id))
        assert [e.action for e in chain] == ["test.second_written", "test.first_written"]
        assert verify_chain(chain) == (2, None)
        assert session.execute(text("SELECT count(*) FROM audit_pending")).scalar_one() == 0


def test_concurrent_appends_keep_one_chain(postgres_engine: Engine) -> None:
    """Writers in parallel transactions: no duplicate seq, no fork (PostgreSQL advisory lock).

    SQLite serialises writers itself (BEGIN IMMEDIATE), so this is PostgreSQL's test.
    """
    engine = postgres_engine
    code = f"97{uuid.uuid4().int % 10000:04d}"
    with Session(engine) as session:
        tenant = Tenant(code=code, name="並行テスト村")
        session.add(tenant)
        session.commit()
        tenant_id = tenant.id

    def writer(n: int) -> None:
        for i in range(10):
            with Session(engine) as session:
                record(
                    session, tenant_id=tenant_id, action="test.parallel", detail={"w": n, "i": i}
                )
                session.commit()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as session:
        session.info["unscoped"] = True
        assert verify_chain(events(session, tenant_id)) == (40, None)


@pytest.mark.parametrize(
    "detail", [{}, {"i": 1, "名": "値", "nested": {"seq": 0, "x": [1.5, None, True]}}]
)
def test_the_canonical_text_around_the_seq_makes_the_whole(detail: dict[str, object]) -> None:
    """PostgreSQL's audit_append hashes before ‖ seq ‖ after: the same text as event_digest."""
    event = AuditEvent(
        tenant_id="t" * 32,
        seq=42,
        at=dt.datetime(2026, 12, 6, 1, 2, 3, 456000, tzinfo=dt.UTC),
        actor="staff:x",
        device=None,
        action="visit.viewed",
        visit_id="v" * 32,
        detail=detail,
    )
    before, after = canonical_around_seq(chained_fields(event))
    whole = json.dumps(
        chained_fields(event), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert before + "42" + after == whole
