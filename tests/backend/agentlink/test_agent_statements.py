"""The statements of a card read, its PIN, its dispatch and the clerk's look (issue 17).

Each step reads what it needs once: the agent's device not again for its answer (it is
connected here), the job's PIN with the job, the expired PINs purged at most every
``pins.PURGE_EVERY_SECONDS``, and a transaction's wake-ups sent as one ``pg_notify`` statement
just before it commits (PostgreSQL) or handed over after it commits (SQLite), never on rollback.
A clerk's long-poll does not look at the job again at once when nothing about it was published
since its request looked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.counter import card_reading, wake
from backend.platform import db as db_module
from backend.platform import notifier
from backend.platform.access import Principal
from backend.platform.agentlink import pins, service
from backend.platform.agentlink.hub import PIN_LOST, Hub
from backend.platform.agentlink.models import AgentJob
from backend.platform.db import session_scope
from tests.backend.agentlink.conftest import LiveDb
from tests.backend.agentlink.test_agent_hub import RecordingLink, hello, open_visit
from tests.helpers.sql import engine_statements

PIN = "8642"
assert wake.counter_key  # its before_flush hook wakes the counter, as in the app


def postgres() -> bool:
    return db_module.get_engine().dialect.name == "postgresql"


def tables(sent: list[str]) -> list[str]:
    """Each statement as its verb and first table (``SELECT agent_jobs``, ``pg_notify×2``)."""
    out = []
    for statement in sent:
        if "pg_notify(" in statement:
            out.append(f"pg_notify×{statement.count('pg_notify(')}")
            continue
        words = statement.replace("(", " ").split()
        verb = words[0].upper()
        if verb == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else words[1]
        elif verb in ("INSERT", "DELETE"):
            table = words[2]
        elif verb == "UPDATE":
            table = words[1]
        elif verb == "BEGIN":
            continue  # SQLite's own (``BEGIN IMMEDIATE`` for a unit that writes)
        else:
            table = ""
        out.append(f"{verb} {table}".strip())
    return out


@pytest.fixture
def connected(live_any_db: LiveDb, hub: Hub) -> Iterator[RecordingLink]:
    link = RecordingLink()
    hub.attach(live_any_db.agent, link, hello())
    with session_scope(unscoped=True, write=True) as session:
        pins.purge_expired(session, force=True)
    # Just purged: the steps below are within the interval. Reset first, or a purge counted by
    # an earlier test (a live server's dispatch) keeps its own, older start.
    pins._purges.reset()
    pins._purges.due()
    yield link
    pins._purges.reset()


def test_a_card_read_its_pin_dispatch_and_look(
    live_any_db: LiveDb, hub: Hub, connected: RecordingLink
) -> None:
    live = live_any_db
    visit_id = open_visit(live)
    notify = ["pg_notify×1"] if postgres() else []
    engine = db_module.get_engine()

    with engine_statements(engine) as sent, session_scope(tenant_id=live.tenant_id) as session:
        read = card_reading.request_card_read(
            session, visit_id=visit_id, pin_at="tablet", allow_last_try=False, actor="test"
        )
    assert read.agent_online and read.status == "awaiting_pin"
    # The device once (the counter's agent), the counter's waiting reads once; one wake-up
    # statement for the job's counter.
    assert sorted(tables(sent)) == sorted(
        [
            "SELECT visits",
            "SELECT devices",
            "SELECT agent_jobs",
            "INSERT agent_jobs",
            "INSERT visit_events",  # card.read_requested: the journey's summary does not read it
            *notify,
        ]
    )

    with engine_statements(engine) as sent, session_scope(tenant_id=live.tenant_id) as session:
        job = service.get_job(session, read.id)
        pinned = service.job_read(session, hub, service.submit_pin(session, hub, job, PIN))
    assert pinned.status == "queued"
    # No device read (connected here), no purge (done within the interval), no read before the
    # PIN's insert; the counter's and the device's wake-ups in one statement.
    assert tables(sent) == [
        "SELECT agent_jobs",
        "INSERT agent_pins",
        "UPDATE agent_jobs",
        *(["pg_notify×2"] if postgres() else []),
    ]
    assert not any(PIN in statement for statement in sent)

    with engine_statements(engine) as sent:
        assert hub.dispatch(live.agent) == 1
    (message,) = connected.of_type("job")
    assert message["params"]["pin"] == PIN
    assert tables(sent) == [
        "SELECT agent_jobs",  # with its sealed PIN, joined
        "UPDATE agent_jobs",
        *notify,
    ]

    with engine_statements(engine) as sent, session_scope(tenant_id=live.tenant_id) as session:
        found = service.read_job(session, Principal(tenant_id=live.tenant_id), read.id, wait=1)
    assert isinstance(found, service.JobWait) and found.read is not None
    assert tables(sent) == ["SELECT agent_jobs"]


def test_purging_expired_pins_waits_its_interval(live_any_db: LiveDb) -> None:
    pins._purges.reset()
    engine = db_module.get_engine()
    try:
        with engine_statements(engine) as sent, session_scope(unscoped=True) as session:
            pins.purge_expired(session)
            pins.purge_expired(session)
        assert tables(sent).count("DELETE agent_pins") == 1
        with engine_statements(engine) as sent, session_scope(unscoped=True) as session:
            pins.purge_expired(session, force=True)
        assert tables(sent).count("DELETE agent_pins") == 1
    finally:
        pins._purges.reset()


# --- wake-ups: once per transaction, at commit ------------------------------------------------


def _published(session: Session, *keys: str) -> None:
    for key in keys:
        notifier.publish(session, key)


def test_a_transactions_wake_ups_go_once_at_commit_and_never_on_rollback(
    live_any_db: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db_module.get_engine()
    received: list[str] = []
    if postgres():
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        listener = psycopg.connect(url, autocommit=True)
        listener.execute(f"LISTEN {notifier.PG_CHANNEL}")
    else:
        monkeypatch.setattr(notifier.notifier, "publish_local", received.append)

    def delivered() -> list[str]:
        if postgres():
            for note in listener.notifies(timeout=0.5, stop_after=10):
                received.append(note.payload)
        out = list(received)
        received.clear()
        return out

    try:
        with engine_statements(engine) as sent, session_scope(unscoped=True) as session:
            _published(session, "job:a", "device:b", "job:a")
            session.flush()
            assert sent == []  # nothing sent before the commit
            if not postgres():
                assert received == []
        # PostgreSQL: each key once; SQLite: as published (setting an event twice is once).
        expected = ["job:a", "device:b"] if postgres() else ["job:a", "device:b", "job:a"]
        assert delivered() == expected
        assert [t for t in tables(sent) if t.startswith("pg_")] == (
            ["pg_notify×2"] if postgres() else []
        )

        with pytest.raises(RuntimeError), session_scope(unscoped=True) as session:
            _published(session, "job:c")
            raise RuntimeError("the unit fails")
        assert delivered() == []

        # A savepoint released: on PostgreSQL its keys wait for the transaction's commit (on
        # SQLite the after-commit effects run at the release, as they always have).
        with session_scope(unscoped=True) as session:
            with session.begin_nested():
                _published(session, "job:d")
            if postgres():
                assert delivered() == []
        assert delivered() == ["job:d"]

        # A key published by a commit hook that runs after the keys went out: sent too.
        with session_scope(unscoped=True) as session:
            _published(session, "job:e")
            event.listen(session, "before_commit", lambda s: _published(s, "job:f"))
        assert delivered() == ["job:e", "job:f"]
    finally:
        if postgres():
            listener.close()


def test_a_change_flushed_by_the_commit_still_wakes_its_counter(
    live_any_db: LiveDb, hub: Hub, connected: RecordingLink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``counter.wake`` publishes from before_flush: a change left for the commit's own flush is
    still sent (on PostgreSQL the keys go out after that flush)."""
    live = live_any_db
    visit_id = open_visit(live)
    with session_scope(tenant_id=live.tenant_id) as session:
        job_id = card_reading.request_card_read(
            session, visit_id=visit_id, pin_at="tablet", allow_last_try=False, actor="test"
        ).id
    engine = db_module.get_engine()
    woken: list[str] = []
    monkeypatch.setattr(notifier.notifier, "publish_local", woken.append)
    with engine_statements(engine) as sent, session_scope(tenant_id=live.tenant_id) as session:
        job = session.get(AgentJob, job_id)
        assert job is not None
        job.error_message = "changed, not flushed"
    if postgres():
        assert tables(sent)[-2:] == ["UPDATE agent_jobs", "pg_notify×1"]
    else:
        assert woken == [f"counter:{live.counter_id}"]
        assert not any("pg_notify" in s for s in sent)


# --- the clerk's long-poll --------------------------------------------------------------------


def _wait_read(live: LiveDb, job_id: str, seconds: float) -> service.JobWait:
    with session_scope(tenant_id=live.tenant_id) as session:
        found = service.read_job(session, Principal(tenant_id=live.tenant_id), job_id, wait=seconds)
    assert isinstance(found, service.JobWait)
    return found


async def _wait(found: service.JobWait) -> tuple[object, float]:
    started = time.monotonic()
    read = await service.wait_for_job(found)
    return read, time.monotonic() - started


def test_a_wait_looks_again_at_once_only_if_the_job_was_published_since(
    live_any_db: LiveDb, hub: Hub, connected: RecordingLink
) -> None:
    live = live_any_db
    visit_id = open_visit(live)
    with session_scope(tenant_id=live.tenant_id) as session:
        job_id = card_reading.request_card_read(
            session, visit_id=visit_id, pin_at="tablet", allow_last_try=False, actor="test"
        ).id
    engine = db_module.get_engine()

    async def scenario() -> None:
        await notifier.notifier.ensure_listening(engine)  # as the agent's connection has

        # Nothing published since the request looked: no look until the wait ends.
        found = _wait_read(live, job_id, 0.3)
        with engine_statements(engine) as sent:
            read, _ = await _wait(found)
        assert getattr(read, "status", None) == "awaiting_pin"
        assert tables(sent).count("SELECT agent_jobs") == 1  # the look at the wait's end

        # The job failed between the request's look and the wait: seen at once.
        found = _wait_read(live, job_id, 20)
        with session_scope(tenant_id=live.tenant_id, write=True) as session:
            job = session.get(AgentJob, job_id)
            assert job is not None
            hub._fail(session, job, PIN_LOST)
        if postgres():  # delivered by the listener, asynchronously
            await asyncio.sleep(0.3)
        read, took = await _wait(found)
        assert getattr(read, "status", None) == "failed"
        assert took < 3

    try:
        asyncio.run(scenario())
    finally:
        notifier.notifier.stop_listening()


def test_published_since_is_true_when_in_doubt() -> None:
    watcher = notifier.Notifier()
    mark = watcher.mark("sqlite")
    assert mark is not None
    assert not watcher.published_since("job:x", mark)
    watcher.publish_local("job:y")
    assert not watcher.published_since("job:x", mark)
    watcher.publish_local("job:x")
    assert watcher.published_since("job:x", mark)
    assert watcher.published_since("job:x", None)
    # Keys forgotten since the mark count as published.
    mark = watcher.mark("sqlite")
    for n in range(notifier.RECENT_KEYS + 1):
        watcher.publish_local(f"job:{n}")
    assert watcher.published_since("job:never", mark)
    # PostgreSQL without a listening listener: no mark at all.
    assert watcher.mark("postgresql") is None
