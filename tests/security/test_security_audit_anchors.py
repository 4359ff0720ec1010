"""Issue 14 item 5: anchors outside the database find a truncated or rewritten audit chain.

Both tamperings need the append-only trigger bypassed (``session_replication_role=replica``
on PostgreSQL, a dropped trigger on SQLite); the chain then verifies on its own, and only the
signed anchors written before (``backend/platform/audit/anchors.py``) tell.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.platform.audit import anchors
from backend.platform.audit.models import AuditEvent
from backend.platform.audit.service import (
    chained_fields,
    event_digest,
    events,
    record,
    verify_chain,
)
from backend.seed import seed_demo
from tests.helpers.cli_db import commands_database

KEY = "k" * 40  # synthetic test key


def _chain(db: Session, n: int = 5) -> str:
    tenant = seed_demo(db)
    for i in range(n):
        record(db, tenant_id=tenant.id, action="visit.viewed", actor="staff:x", detail={"i": i})
    return tenant.id


def _bypass_the_trigger(db: Session) -> None:
    """What an attacker with too much database privilege does first."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        db.execute(text("DROP TRIGGER audit_events_no_update"))
        db.execute(text("DROP TRIGGER audit_events_no_delete"))


def _truncate(db: Session, tenant_id: str, keep: int) -> None:
    _bypass_the_trigger(db)
    db.execute(delete(AuditEvent).where(AuditEvent.tenant_id == tenant_id, AuditEvent.seq > keep))
    db.expire_all()


def _rewrite(db: Session, tenant_id: str, seq: int) -> None:
    """Edit one event and recompute every later hash with the project's own digest."""
    _bypass_the_trigger(db)
    chain = list(events(db, tenant_id))
    prev_hash = chain[seq - 2].hash if seq > 1 else "0" * 64
    for event in chain[seq - 1 :]:
        if event.seq == seq:
            event.detail = {"i": 999}
        event.prev_hash = prev_hash
        event.hash = event_digest(prev_hash, chained_fields(event))
        prev_hash = event.hash
    db.flush()
    db.expire_all()


def test_truncation_passes_the_chain_but_not_the_anchors(db: Session, tmp_path: Path) -> None:
    tenant_id = _chain(db)
    file = tmp_path / "anchors.jsonl"
    assert anchors.write(anchors.heads(db), file, KEY) >= 1
    _truncate(db, tenant_id, keep=3)
    assert verify_chain(events(db, tenant_id))[1] is None  # the chain alone is fooled
    known, bad = anchors.read(file, KEY)
    assert bad == []
    found = anchors.check(db, tenant_id, known)
    assert found is not None and found.startswith("truncated: the chain ends at seq 3")


def test_recomputed_hashes_pass_the_chain_but_not_the_anchors(db: Session, tmp_path: Path) -> None:
    tenant_id = _chain(db)
    file = tmp_path / "anchors.jsonl"
    anchors.write(anchors.heads(db), file, KEY)
    _rewrite(db, tenant_id, seq=3)
    edited = db.scalars(
        select(AuditEvent).where(AuditEvent.tenant_id == tenant_id, AuditEvent.seq == 3)
    ).one()
    assert edited.detail == {"i": 999}
    assert verify_chain(events(db, tenant_id))[1] is None  # the chain alone is fooled
    found = anchors.check(db, tenant_id, anchors.read(file, KEY)[0])
    assert found is not None and found.startswith("rewritten: the hash at seq 5")


def test_an_intact_chain_agrees_with_its_anchors(db: Session, tmp_path: Path) -> None:
    tenant_id = _chain(db)
    file = tmp_path / "anchors.jsonl"
    anchors.write(anchors.heads(db), file, KEY)
    record(db, tenant_id=tenant_id, action="visit.viewed")  # the chain grows after an anchor
    assert anchors.check(db, tenant_id, anchors.read(file, KEY)[0]) is None


def test_a_forged_anchor_or_another_key_is_reported(db: Session, tmp_path: Path) -> None:
    _chain(db)
    file = tmp_path / "anchors.jsonl"
    anchors.write(anchors.heads(db), file, KEY)
    line = json.loads(file.read_text().splitlines()[0])
    line["seq"] = 1  # an attacker moves the anchor back to match a shorter chain
    with file.open("a") as out:
        out.write(json.dumps(line) + "\n")
    known, bad = anchors.read(file, KEY)
    assert len(known) == len(bad) == 1 and "signature" in bad[0].reason
    assert anchors.read(file, "x" * 40)[0] == []


def test_no_key_no_anchor() -> None:
    with pytest.raises(anchors.AnchorError, match="MADOGUCHI_AUDIT_ANCHOR_KEY"):
        anchors.write([], "unused", "")


# --- the CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("tampering", ["truncate", "rewrite"])
def test_cli_verify_with_anchors_finds_both_tamperings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tampering: str
) -> None:
    from backend.cli import build_app
    from backend.platform.settings import get_settings

    file = tmp_path / "anchors.jsonl"
    chained: list[str] = []
    anchoring = {"MADOGUCHI_AUDIT_ANCHOR_KEY": KEY, "MADOGUCHI_AUDIT_ANCHOR_FILE": str(file)}
    with commands_database(
        tmp_path, monkeypatch, prepare=lambda s: chained.append(_chain(s)), env=anchoring
    ) as engine:
        [tenant_id] = chained
        runner = CliRunner()
        anchored = runner.invoke(build_app(), ["audit", "anchor"])
        assert anchored.exit_code == 0, anchored.output
        assert len(file.read_text().splitlines()) == 1
        ok = runner.invoke(build_app(), ["audit", "verify", "--anchors", str(file)])
        assert ok.exit_code == 0, ok.output
        assert "991007: OK (5 events and its anchors)" in ok.output
        with Session(engine) as session:
            session.info["unscoped"] = True
            if tampering == "truncate":
                _truncate(session, tenant_id, keep=2)
            else:
                _rewrite(session, tenant_id, seq=2)
            session.commit()
        fooled = runner.invoke(build_app(), ["audit", "verify"])
        assert fooled.exit_code == 0, fooled.output  # what this item is about
        caught = runner.invoke(build_app(), ["audit", "verify", "--anchors", str(file)])
        assert caught.exit_code == 1, caught.output
        [line] = caught.output.splitlines()
        assert line.startswith("991007: BROKEN against the anchors: ")
        assert ("truncated" if tampering == "truncate" else "rewritten") in line
        monkeypatch.setenv("MADOGUCHI_AUDIT_ANCHOR_KEY", "")
        get_settings.cache_clear()
        keyless = runner.invoke(build_app(), ["audit", "verify", "--anchors", str(file)])
        assert keyless.exit_code == 2


def test_the_worker_job_anchors_the_chains_that_moved(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from backend.platform.settings import get_settings

    file = tmp_path / "worker-anchors.jsonl"
    settings = get_settings()
    monkeypatch.setattr(settings, "audit_anchor_key", KEY)
    monkeypatch.setattr(settings, "audit_anchor_file", str(file))
    # No gate between runs: time.monotonic() counts from boot, and a machine booted minutes
    # ago would otherwise be "too soon after" the patched last run at 0.
    monkeypatch.setattr(settings, "audit_anchor_every_seconds", 0.0)
    monkeypatch.setattr(anchors, "_last_run", 0.0)
    monkeypatch.setattr(anchors, "_last_written", {})
    monkeypatch.setattr(anchors, "session_scope", lambda **_: _Reuse(db))
    tenant_id = _chain(db, 2)
    anchors.anchor_job()
    assert file.exists(), caplog.text
    [written] = [a for a in anchors.read(file, KEY)[0] if a.tenant_id == tenant_id]
    assert written.seq == 2
    monkeypatch.setattr(anchors, "_last_run", 0.0)
    anchors.anchor_job()  # nothing moved: nothing appended
    assert len([a for a in anchors.read(file, KEY)[0] if a.tenant_id == tenant_id]) == 1


class _Reuse:
    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc: object) -> None:
        return None
