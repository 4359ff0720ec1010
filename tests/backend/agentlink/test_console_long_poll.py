"""The staff console long-polls its counter's devices and the signature wait
(``?wait=N`` with the ETag held): answered at once when the answer changed, when the agent
connects or disconnects, when the tablet comes back or its presence lapses, and when the visit
is signed; a 304 after N seconds otherwise; and waiting holds no thread and no database
connection (``backend.platform.long_poll``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select, update

from backend.counter import wake
from backend.counter.models import Visit
from backend.identity.devices.models import Device
from backend.platform import long_poll, notifier
from backend.platform.agentlink.hub import Hub
from backend.platform.db import get_engine, session_scope, utcnow
from hardware.agent.fakes import FakeCardReader, MemoryPrinter
from hardware.agent.handlers import Handlers
from tests.backend.agentlink.conftest import (
    LiveDb,
    LiveServer,
    clerk_client,
    start_server,
    tablet_client,
)
from tests.backend.agentlink.test_agent_live import run_agent, wait_until

AGENT = "/api/v1/agent/status"
TABLET = "/api/v1/tablet/status"
WAITS = 40
QUICK = 3.0  # "at once": well inside RECHECK_SECONDS, so not found by a periodic look


@pytest.fixture
def server(live_any_db: LiveDb, hub: Hub) -> Iterator[LiveServer]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def clerk(server: LiveServer) -> Iterator[httpx.Client]:
    client = clerk_client(server.url)
    yield client
    client.close()


def _held(client: httpx.Client, path: str, counter_id: str) -> httpx.Response:
    first = client.get(path, params={"counter_id": counter_id})
    assert first.status_code == 200, first.text
    assert (
        client.get(
            path,
            params={"counter_id": counter_id},
            headers={"if-none-match": first.headers["etag"]},
        ).status_code
        == 304
    )
    return first


def _wait_in_background(
    pool: ThreadPoolExecutor, client: httpx.Client, path: str, params: dict[str, object], etag: str
) -> Callable[[], tuple[httpx.Response, float]]:
    started = time.monotonic()
    future = pool.submit(client.get, path, params=params, headers={"if-none-match": etag})

    def result() -> tuple[httpx.Response, float]:
        response = future.result(timeout=40)
        return response, time.monotonic() - started

    return result


def _answered_until(
    pool: ThreadPoolExecutor,
    client: httpx.Client,
    params: dict[str, object],
    waiting: Callable[[], tuple[httpx.Response, float]],
    *,
    online: bool,
) -> tuple[httpx.Response, float]:
    """The agent's answers, each asked again with its ETag as staff.js does, until one says
    ``online``; and the seconds from the first wait to it (a wake-up between, e.g. for the
    agent's handshake, may answer a step on the way)."""
    total = 0.0
    while True:
        response, seconds = waiting()
        total += seconds
        assert response.status_code == 200, response.status_code
        if response.json()["online"] is online:
            return response, total
        waiting = _wait_in_background(pool, client, AGENT, params, response.headers["etag"])


def _watching(key: str, count: int = 1) -> None:
    wait_until(lambda: notifier.notifier.watchers(key) >= count, f"{count} wait(s) on {key}")


def _set_tablet_seen(live: LiveDb, seen: dt.datetime | None) -> None:
    with session_scope(unscoped=True, write=True) as session:
        session.execute(update(Device).where(Device.id == live.tablet_id).values(last_seen_at=seen))


def test_an_unchanged_answer_waits_and_ends_in_304_a_changed_one_comes_at_once(
    live_any_db: LiveDb, clerk: httpx.Client
) -> None:
    counter = live_any_db.counter_id
    for path in (AGENT, TABLET):
        etag = _held(clerk, path, counter).headers["etag"]
        started = time.monotonic()
        unchanged = clerk.get(
            path, params={"counter_id": counter, "wait": 1}, headers={"if-none-match": etag}
        )
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert time.monotonic() - started >= 0.9  # it did wait
        started = time.monotonic()
        stale = clerk.get(
            path, params={"counter_id": counter, "wait": 25}, headers={"if-none-match": '"old"'}
        )
        assert stale.status_code == 200 and stale.headers["etag"] == etag
        assert time.monotonic() - started < QUICK
        plain = clerk.get(path, params={"counter_id": counter})  # no wait: as before
        assert plain.status_code == 200 and plain.headers["etag"] == etag
        too_long = clerk.get(
            path,
            params={"counter_id": counter, "wait": long_poll.MAX_WAIT_SECONDS + 1},
            headers={"if-none-match": etag},
        )
        assert too_long.status_code == 422


def test_the_agents_wait_is_answered_when_it_connects_and_when_it_leaves(
    live_any_db: LiveDb, server: LiveServer, clerk: httpx.Client
) -> None:
    counter = live_any_db.counter_id
    key = wake.devices_key(counter)
    params = {"counter_id": counter, "wait": 25}
    pool = ThreadPoolExecutor(1)
    agent = None
    try:
        offline = _held(clerk, AGENT, counter)
        assert offline.json()["online"] is False
        waiting = _wait_in_background(pool, clerk, AGENT, params, offline.headers["etag"])
        _watching(key)
        agent = run_agent(server.url, Handlers(FakeCardReader(pin="8642"), MemoryPrinter()))
        online, seconds = _answered_until(pool, clerk, params, waiting, online=True)
        assert seconds < QUICK

        waiting = _wait_in_background(pool, clerk, AGENT, params, online.headers["etag"])
        _watching(key)
        agent.shutdown()
        agent = None
        _, seconds = _answered_until(pool, clerk, params, waiting, online=False)
        assert seconds < QUICK
    finally:
        if agent is not None:
            agent.shutdown()
        pool.shutdown(wait=False)


def test_the_tablets_wait_is_answered_when_it_comes_back_and_when_its_presence_lapses(
    live_any_db: LiveDb, server: LiveServer, clerk: httpx.Client
) -> None:
    counter = live_any_db.counter_id
    key = wake.devices_key(counter)
    params = {"counter_id": counter, "wait": 25}
    tablet = tablet_client(server.url)
    pool = ThreadPoolExecutor(1)
    try:
        _set_tablet_seen(live_any_db, None)
        absent = _held(clerk, TABLET, counter)
        assert absent.json() == {"paired": True, "online": False}
        waiting = _wait_in_background(pool, clerk, TABLET, params, absent.headers["etag"])
        _watching(key)
        assert tablet.get("/api/v1/tablet/current").status_code == 200  # the tablet is back
        back, seconds = waiting()
        assert back.json() == {"paired": True, "online": True}
        assert seconds < QUICK

        # Last seen so long ago that its presence lapses in 1.5 s: the wait looks again then,
        # not at its next periodic look (8 s) nor when the console asks again.
        lapse_in = 3.0
        presence = dt.timedelta(seconds=wake.TABLET_PRESENCE_SECONDS - lapse_in)
        marked = time.monotonic()
        _set_tablet_seen(live_any_db, utcnow() - presence)
        here = clerk.get(TABLET, params={"counter_id": counter})
        assert here.json()["online"] is True
        waiting = _wait_in_background(pool, clerk, TABLET, params, here.headers["etag"])
        gone, _ = waiting()
        assert gone.status_code == 200 and gone.json() == {"paired": True, "online": False}
        assert lapse_in - 0.2 < time.monotonic() - marked < lapse_in + 2.0
    finally:
        pool.shutdown(wait=False)
        tablet.close()


def test_a_tablet_seen_while_present_wakes_nobody(
    live_any_db: LiveDb, server: LiveServer, clerk: httpx.Client
) -> None:
    """Its every sighting would otherwise wake its own long-poll, which sees it again…"""
    counter = live_any_db.counter_id
    key = wake.devices_key(counter)
    tablet = tablet_client(server.url)
    pool = ThreadPoolExecutor(1)
    try:
        assert tablet.get("/api/v1/tablet/current").status_code == 200
        here = _held(clerk, TABLET, counter)
        params = {"counter_id": counter, "wait": 3}
        waiting = _wait_in_background(pool, clerk, TABLET, params, here.headers["etag"])
        _watching(key)
        _set_tablet_seen(live_any_db, utcnow() - dt.timedelta(seconds=5))  # seen 5 s ago…
        assert tablet.get("/api/v1/tablet/current").status_code == 200  # …and again now
        unchanged, seconds = waiting()
        assert unchanged.status_code == 304 and seconds >= 2.9
    finally:
        pool.shutdown(wait=False)
        tablet.close()


def test_the_signature_wait_is_answered_when_the_visit_is_signed(
    live_any_db: LiveDb, clerk: httpx.Client
) -> None:
    counter = live_any_db.counter_id
    opened = clerk.post("/api/v1/visits", json={"counter_id": counter})
    assert opened.status_code in (200, 201), opened.text
    visit_id = opened.json()["id"]
    _set_status(visit_id, "confirming")
    path = f"/api/v1/tablet/visits/{visit_id}/signature-wait"
    first = clerk.get(path)
    assert first.json()["status"] == "confirming"
    etag = first.headers["etag"]
    unchanged = clerk.get(path, params={"wait": 1}, headers={"if-none-match": etag})
    assert unchanged.status_code == 304

    pool = ThreadPoolExecutor(1)
    try:
        waiting = _wait_in_background(pool, clerk, path, {"wait": 25}, etag)
        _watching(wake.counter_key(counter))
        _set_status(visit_id, "signed")  # the write the tablet's signature makes to the visit
        signed, seconds = waiting()
        assert signed.status_code == 200 and signed.json()["status"] == "signed"
        assert seconds < QUICK
    finally:
        pool.shutdown(wait=False)


def _set_status(visit_id: str, status: str) -> None:
    with session_scope(unscoped=True, write=True) as session:
        visit = session.scalars(select(Visit).where(Visit.id == visit_id)).one()
        visit.status = status  # an ORM write, as the signature's: it wakes the counter


def test_forty_console_waits_hold_no_thread_and_no_connection(
    live_any_db: LiveDb, server: LiveServer, clerk: httpx.Client
) -> None:
    counter = live_any_db.counter_id
    key = wake.devices_key(counter)
    etag = _held(clerk, AGENT, counter).headers["etag"]
    limits = httpx.Limits(max_connections=WAITS + 10, max_keepalive_connections=WAITS + 10)
    waiting = httpx.Client(base_url=server.url, timeout=60, limits=limits, cookies=clerk.cookies)
    pool = ThreadPoolExecutor(WAITS, thread_name_prefix="console")
    params = {"counter_id": counter, "wait": 5}
    try:
        waits = [_wait_in_background(pool, waiting, AGENT, params, etag) for _ in range(WAITS)]
        _watching(key, WAITS)
        # Only the devices' key: the visit's every change at the counter does not wake them.
        assert notifier.notifier.watchers(wake.counter_key(counter)) == 0
        # Each wait watches before its first look: once those looks are done, none holds a
        # database connection (nor a thread: the requests below need both).
        pool_of = get_engine().pool
        wait_until(lambda: pool_of.checkedout() == 0, "the waits' looks to end")  # type: ignore[attr-defined]
        # Forty waits pending: requests that need a worker thread and a connection still run.
        for _ in range(5):
            answer = clerk.get(TABLET, params={"counter_id": counter}, timeout=10)
            assert answer.status_code == 200
        assert clerk.get("/readyz", timeout=10).status_code == 200
        with session_scope(unscoped=True, write=True) as session:
            notifier.publish(session, key)  # a wake-up: every wait looks again, and holds on
        time.sleep(1.0)
        assert notifier.notifier.watchers(key) == WAITS
        answers = [result() for result in waits]
        assert {response.status_code for response, _ in answers} == {304}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        waiting.close()
