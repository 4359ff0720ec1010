"""The broadcaster: after commit only; across processes through PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.platform import live as events
from backend.platform import notifier
from tests.helpers.sql import engine_statements


async def _receive(topic: str, hub: events.Hub, publish: Any, timeout: float = 5.0) -> list[Any]:
    received: list[Any] = []
    with hub.subscribe(topic) as queue:
        await asyncio.to_thread(publish)
        try:
            while True:
                received.append(await asyncio.wait_for(queue.get(), timeout=timeout))
                timeout = 0.3
        except TimeoutError:
            return received


@pytest.fixture
def another_replica(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, events.Hub]]:
    """PostgreSQL's engine and a hub listening on it, standing for another replica's."""
    engine: Engine = request.getfixturevalue("postgres_engine")
    other_process_hub = events.Hub()
    listener = events.PostgresListener(engine, other_process_hub)
    listener.start()
    try:
        assert listener.ready.wait(10), "the listener did not connect"
        yield engine, other_process_hub
    finally:
        listener.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def subscribers(request: pytest.FixtureRequest) -> tuple[Engine, events.Hub]:
    """An engine and the hub its commits reach: this process's on SQLite; on PostgreSQL, another
    replica's, through LISTEN/NOTIFY."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine"), events.hub
    replica: tuple[Engine, events.Hub] = request.getfixturevalue("another_replica")
    return replica


def test_delivered_after_commit_and_dropped_on_rollback(
    subscribers: tuple[Engine, events.Hub],
) -> None:
    engine, hub = subscribers

    def commit_then_rollback() -> None:
        with Session(engine) as session:
            with session.begin():
                events.publish(session, "office:t1", {"type": "called", "n": 1})
            with session.begin():
                events.publish(session, "office:t1", {"type": "called", "n": 2})
                session.rollback()

    got = asyncio.run(_receive("office:t1", hub, commit_then_rollback))
    assert got == [{"type": "called", "n": 1}]


def test_postgres_sends_a_units_messages_and_wake_keys_in_one_statement(
    another_replica: tuple[Engine, events.Hub],
) -> None:
    """A hand-off sent the display's message and the wake keys as two ``pg_notify`` statements;
    now the unit's last statement carries both, and the messages still arrive in order."""
    engine, other_process_hub = another_replica

    def publish_from_here() -> None:
        with engine_statements(engine) as sent, Session(engine) as session, session.begin():
            events.publish(session, "office:one", {"type": "called", "n": 1})
            notifier.publish(session, "counter:one")
            events.publish(session, "office:one", {"type": "finished", "n": 2})
        notices = [s for s in sent if "pg_notify" in s]
        assert len(notices) == 1 and notices[0].count("pg_notify(") == 3, notices

    got = asyncio.run(_receive("office:one", other_process_hub, publish_from_here))
    assert got == [{"type": "called", "n": 1}, {"type": "finished", "n": 2}]


def test_postgres_drops_a_message_of_a_rolled_back_savepoint(
    another_replica: tuple[Engine, events.Hub],
) -> None:
    """A message noted inside a savepoint that is rolled back is not announced at the commit
    (a call display must never show a call that did not happen)."""
    engine, other_process_hub = another_replica

    def publish_from_here() -> None:
        with Session(engine) as session, session.begin():
            savepoint = session.begin_nested()
            events.publish(session, "office:sp", {"type": "called", "n": 1})
            savepoint.rollback()
            events.publish(session, "office:sp", {"type": "called", "n": 2})

    got = asyncio.run(_receive("office:sp", other_process_hub, publish_from_here))
    assert got == [{"type": "called", "n": 2}]
