"""Forty counters waiting for a card read at once: the process holds them as asyncio waits and
goes on answering, and the agent's results still get stored (no thread is held by a wait)."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from backend.platform import notifier
from backend.platform.agentlink.hub import Hub
from hardware.agent.client import AgentClient, Backoff
from hardware.agent.fakes import FakeCardReader, MemoryPrinter
from hardware.agent.handlers import Handlers
from hardware.agent.transport import WebSocketTransport
from tests.backend.agentlink.conftest import (
    AGENT_TOKEN,
    LiveDb,
    clerk_client,
    start_server,
    tablet_client,
)
from tests.backend.agentlink.test_agent_live import wait_until

PIN = "8642"
WAITS = 40
FINAL = ("done", "failed")


@dataclass
class Agent:
    client: AgentClient
    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event
    thread: threading.Thread

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=10)


def run_roomy_agent(url: str, handlers: Handlers) -> Agent:
    """The agent, with room for every job to run at once (its own side of the test: 40 card
    reads held at the reader must not keep its printer from printing)."""
    client = AgentClient(WebSocketTransport(url, AGENT_TOKEN), handlers, backoff=Backoff(0.05, 0.3))
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(WAITS + 8, thread_name_prefix="agent-job"))
        holder.update(loop=loop, stop=asyncio.Event())
        ready.set()
        await client.run(holder["stop"])

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="agent", daemon=True)
    thread.start()
    assert ready.wait(10)
    wait_until(lambda: client.connections >= 1, "the agent to connect")
    return Agent(client, holder["loop"], holder["stop"], thread)


@pytest.fixture
def reader() -> Iterator[FakeCardReader]:
    card = FakeCardReader(pin=PIN, gate=threading.Event())
    yield card
    card.gate.set()  # type: ignore[union-attr]  # never leave the agent's threads waiting


def wait_for_final(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """A clerk's screen long-polls until the job ends (again, if one wait runs out)."""
    for _ in range(4):
        read = client.get(f"/api/v1/agent/jobs/{job_id}", params={"wait": 25}).json()
        if read["status"] in FINAL:
            return read
    return read


def test_forty_card_read_waits_while_the_process_still_answers(
    live_any_db: LiveDb, hub: Hub, reader: FakeCardReader
) -> None:
    server = start_server()
    printer = MemoryPrinter()
    agent = run_roomy_agent(server.url, Handlers(reader, printer))
    limits = httpx.Limits(max_connections=WAITS + 10, max_keepalive_connections=WAITS + 10)
    clerk, tablet = clerk_client(server.url), tablet_client(server.url)
    waiting = httpx.Client(base_url=server.url, timeout=90, limits=limits, cookies=clerk.cookies)
    pool = ThreadPoolExecutor(WAITS, thread_name_prefix="clerk-screen")
    try:
        visit = clerk.post("/api/v1/visits", json={"counter_id": live_any_db.counter_id})
        visit_id = visit.json()["id"]
        job_ids = []
        for _ in range(WAITS):
            job = clerk.post("/api/v1/agent/card-reads", json={"visit_id": visit_id}).json()
            pinned = tablet.post(f"/api/v1/agent/jobs/{job['id']}/pin", json={"pin": PIN})
            assert pinned.status_code == 200, pinned.text
            job_ids.append(job["id"])
        waits: list[Future[dict[str, Any]]] = [
            pool.submit(wait_for_final, waiting, job_id) for job_id in job_ids
        ]
        wait_until(
            lambda: all(notifier.notifier.watchers(notifier.job_key(j)) == 1 for j in job_ids),
            "all forty waits to be held",
            timeout=60,
        )

        # Forty waits pending; the process answers, and the hub stores an agent's result.
        assert clerk.get("/healthz", timeout=60).json() == {"status": "ok"}
        assert clerk.get("/readyz", timeout=60).status_code == 200
        status = clerk.get(
            "/api/v1/agent/status", params={"counter_id": live_any_db.counter_id}, timeout=60
        ).json()
        assert status["online"]
        slip = clerk.post(
            "/api/v1/agent/print-jobs",
            json={
                "counter_id": live_any_db.counter_id,
                "data_b64": base64.b64encode(b"\x1b@A-001\n").decode(),
            },
            timeout=60,
        ).json()
        printed = wait_for_final(clerk, slip["id"])
        assert printed["status"] == "done", printed
        assert printer.printed == [b"\x1b@A-001\n"]
        assert not any(w.done() for w in waits)  # the readers are still holding every card

        assert reader.gate is not None
        reader.gate.set()
        reads = [w.result(timeout=120) for w in waits]
        assert [r["status"] for r in reads] == ["done"] * WAITS
        members = clerk.get(f"/api/v1/visits/{visit_id}").json()["members"]
        assert len(members) == WAITS
    finally:
        if reader.gate is not None:
            reader.gate.set()
        pool.shutdown(wait=True, cancel_futures=True)
        waiting.close()
        agent.shutdown()
        server.stop()
