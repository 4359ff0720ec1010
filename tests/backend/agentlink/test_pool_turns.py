"""Many requests at once on PostgreSQL: they queue for the pool's connections on the event loop
(``db.Turns``), so no thread waits for a connection that a request waiting for a thread holds.

Before the turns, 64 counters froze a server: 40 worker threads waited in the pool's checkout
while the 15 requests holding every connection waited for a thread to run their route.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from backend.platform import db as db_module
from backend.platform.agentlink.hub import Hub
from backend.platform.db import Turns
from backend.platform.settings import get_settings
from tests.backend.agentlink.conftest import (
    LiveServer,
    clerk_client,
    seed_live,
    start_server,
    using_database,
)
from tests.conftest import scratch_postgres_url

AT_ONCE = 120  # well beyond the thread pool (40) plus the connections (pool 2 + 10 overflow)


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(get_settings(), "database_pool_size", 2)
    yield


@pytest.fixture
def server_with_small_pool(small_pool: None, hub: Hub) -> Iterator[LiveServer]:
    with scratch_postgres_url("madoguchi_turns") as url:
        seed_live(url)
        with using_database(url):
            assert db_module.request_turns().limit == 2
            server = start_server()
            try:
                yield server
            finally:
                server.stop()


def test_requests_beyond_threads_and_connections_all_answer(
    server_with_small_pool: LiveServer,
) -> None:
    clerk = clerk_client(server_with_small_pool.url)
    cookies, headers = clerk.cookies, dict(clerk.headers)

    def me(_: int) -> int:
        with httpx.Client(
            base_url=server_with_small_pool.url, cookies=cookies, headers=headers, timeout=25
        ) as client:
            return client.get("/api/v1/auth/me").status_code

    with ThreadPoolExecutor(AT_ONCE) as pool:
        statuses = list(pool.map(me, range(AT_ONCE)))
    assert statuses == [200] * AT_ONCE


def test_turns_admit_their_limit_and_queue_the_rest() -> None:
    async def scenario() -> tuple[int, int, int]:
        turns = Turns(2)
        await turns.acquire()
        await turns.acquire()
        third = asyncio.create_task(turns.acquire())
        while turns.queued < 1:
            await asyncio.sleep(0)
        held_while_queued = turns.holders
        turns.release()  # passes to the third
        await third
        held_after = turns.holders
        turns.release()
        turns.release()
        return held_while_queued, held_after, turns.holders

    assert asyncio.run(scenario()) == (2, 2, 0)
