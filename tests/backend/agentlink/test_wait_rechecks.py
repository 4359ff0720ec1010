"""A wait looks again without a notification only when it must (``notifier.recheck_seconds``):
while notifications may be lost, or for a caller its looks keep present (the tablet). The
console's waits otherwise look once and then only when woken; and every waiter is woken when
the listener stops or starts listening, so none trusts a notification that cannot come."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from fastapi import Request
from sqlalchemy.engine import Engine

from backend.platform import long_poll, notifier
from backend.platform.agentlink.hub import Hub
from tests.backend.agentlink.conftest import (
    LiveDb,
    LiveServer,
    clerk_client,
    start_server,
    tablet_client,
)

RECHECK = 0.25  # long_poll.RECHECK_SECONDS for these tests: many rechecks in a short wait
WAIT = 2  # seconds each held request waits


@pytest.fixture
def counted_looks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every look a long-poll takes (``long_poll.run_authorized``), with RECHECK_SECONDS short."""
    looks: list[object] = []
    real = long_poll.run_authorized

    async def counting(request: Request, work: Callable[..., object]) -> object:
        looks.append(request.scope["endpoint"].__name__)  # which kind of wait looked
        return await real(request, work)

    monkeypatch.setattr(long_poll, "run_authorized", counting)
    monkeypatch.setattr(long_poll, "RECHECK_SECONDS", RECHECK)
    return looks


@pytest.fixture
def server(live_any_db: LiveDb, hub: Hub) -> Iterator[LiveServer]:
    running = start_server()
    yield running
    running.stop()


def test_the_consoles_wait_looks_once_and_the_tablets_keeps_looking(
    live_any_db: LiveDb, server: LiveServer, counted_looks: list[object]
) -> None:
    clerk, tablet = clerk_client(server.url), tablet_client(server.url)
    try:
        params = {"counter_id": live_any_db.counter_id}
        etag = clerk.get("/api/v1/agent/status", params=params).headers["etag"]
        counted_looks.clear()
        held = clerk.get(
            "/api/v1/agent/status",
            params={**params, "wait": WAIT},
            headers={"if-none-match": etag},
        )
        assert held.status_code == 304
        # The first look, then nothing but the end of the wait: no agent, nothing published.
        assert len(counted_looks) == 1, counted_looks

        etag = tablet.get("/api/v1/tablet/current").headers["etag"]
        counted_looks.clear()
        shown = tablet.get(f"/api/v1/tablet/current?wait={WAIT}", headers={"if-none-match": etag})
        assert shown.status_code == 304
        # Seen every RECHECK_SECONDS, so that its presence does not lapse while it waits.
        assert len(counted_looks) >= WAIT / RECHECK / 2, counted_looks
    finally:
        clerk.close()
        tablet.close()


def test_a_listener_that_stops_or_starts_wakes_every_waiter() -> None:
    async def woken_by(listening: bool) -> bool:
        fan_out = notifier.Notifier()
        with fan_out.watch("counter:x") as first, fan_out.watch("device:y") as second:
            await asyncio.to_thread(fan_out._listening_changed, listening)
            await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), timeout=2)
            return first.is_set() and second.is_set()

    assert asyncio.run(woken_by(False))
    assert asyncio.run(woken_by(True))


def test_rechecks_are_needed_only_while_notifications_may_be_lost() -> None:
    fan_out = notifier.Notifier()
    assert fan_out.recheck_seconds("sqlite") is None  # published in this process: never lost
    # PostgreSQL without a listener listening: what other processes commit is not heard.
    assert fan_out.recheck_seconds("postgresql") == notifier.RECHECK_SECONDS


def test_a_live_listener_is_asked_for_nothing_by_the_next_wait(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every long poll calls ``ensure_listening``: once its listener is up for the engine, the
    call renders no URL and awaits nothing (it was 1.8 ms of each visit at 64 counters)."""

    async def scenario() -> None:
        fan_out = notifier.Notifier()
        await fan_out.ensure_listening(postgres_engine)
        assert fan_out.listening() is not None

        def no_rendering(*args: object, **kwargs: object) -> None:
            raise AssertionError("the URL was rendered again")

        with monkeypatch.context() as patched:
            patched.setattr(type(postgres_engine.url), "render_as_string", no_rendering)
            patched.setattr(asyncio, "wait_for", no_rendering)
            await fan_out.ensure_listening(postgres_engine)
        fan_out.stop_listening()

    asyncio.run(scenario())
