"""The real agent client against a real uvicorn server on loopback, over a WebSocket.

A connection is cut in the middle of a job; the job is neither lost nor run twice.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from backend.counter.models import HouseholdMember
from backend.platform.agentlink.models import AgentJob
from backend.platform.db import session_scope
from hardware.agent.client import AgentClient, Backoff
from hardware.agent.fakes import FakeCardReader, MemoryPrinter
from hardware.agent.handlers import Handlers
from hardware.agent.transport import Connection, Disconnected, TokenRefused, WebSocketTransport
from tests.backend.agentlink.conftest import (
    AGENT_TOKEN,
    LiveDb,
    LiveServer,
    clerk_client,
    start_server,
    tablet_client,
)

FAST = Backoff(initial=0.05, maximum=0.3)


class SwitchableTransport:
    """The WebSocket transport, with a switch that makes reconnecting fail (network down)."""

    def __init__(self, inner: WebSocketTransport) -> None:
        self.inner = inner
        self.down = threading.Event()
        self.current: Connection | None = None

    async def connect(self) -> Connection:
        if self.down.is_set():
            raise Disconnected("network down (test)")
        self.current = await self.inner.connect()
        return self.current


class GatedPrinter(MemoryPrinter):
    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = threading.Event()

    def print_bytes(self, data: bytes, *, target: str) -> None:
        self.started.set()
        self.gate.wait(timeout=30)
        super().print_bytes(data, target=target)


@dataclass
class RunningAgent:
    client: AgentClient
    transport: SwitchableTransport
    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event
    thread: threading.Thread

    def cut(self) -> None:
        """Drop the TCP connection under the agent's feet, as a network failure would."""
        conn = self.transport.current
        assert conn is not None
        socket = conn._socket  # type: ignore[attr-defined]
        self.loop.call_soon_threadsafe(socket.transport.abort)

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=10)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def run_agent(url: str, handlers: Handlers, token: str = AGENT_TOKEN) -> RunningAgent:
    transport = SwitchableTransport(WebSocketTransport(url, token))
    client = AgentClient(transport, handlers, backoff=FAST)
    ready = threading.Event()
    holder: dict[str, object] = {}

    def main() -> None:
        async def go() -> None:
            holder["loop"] = asyncio.get_running_loop()
            holder["stop"] = asyncio.Event()
            ready.set()
            await client.run(holder["stop"])  # type: ignore[arg-type]

        asyncio.run(go())

    thread = threading.Thread(target=main, name="agent", daemon=True)
    thread.start()
    ready.wait(5)
    agent = RunningAgent(client, transport, holder["loop"], holder["stop"], thread)  # type: ignore[arg-type]
    wait_until(lambda: client.connections >= 1, "the agent to connect")
    return agent


@pytest.fixture
def gated_reader() -> FakeCardReader:
    return FakeCardReader(pin="8642", gate=threading.Event())


@pytest.fixture
def agent(live_server: LiveServer, gated_reader: FakeCardReader) -> Iterator[RunningAgent]:
    running = run_agent(live_server.url, Handlers(gated_reader, GatedPrinter()))
    yield running
    running.shutdown()


def test_card_read_survives_a_cut_connection(
    live_server: LiveServer, live_db: LiveDb, agent: RunningAgent, gated_reader: FakeCardReader
) -> None:
    clerk, tablet = clerk_client(live_server.url), tablet_client(live_server.url)
    visit_id = clerk.post("/api/v1/visits", json={"counter_id": live_db.counter_id}).json()["id"]
    status = clerk.get("/api/v1/agent/status", params={"counter_id": live_db.counter_id}).json()
    assert status["online"] and status["kinds"] == ["read_card", "print"]

    job = clerk.post("/api/v1/agent/card-reads", json={"visit_id": visit_id}).json()
    assert job["status"] == "awaiting_pin"
    assert tablet.get("/api/v1/agent/pin-request").json()["id"] == job["id"]
    pinned = tablet.post(f"/api/v1/agent/jobs/{job['id']}/pin", json={"pin": "8642"})
    assert pinned.status_code == 200, pinned.text

    assert gated_reader.started.wait(10), "the agent never started reading"
    agent.cut()  # mid-job: the card is being read when the network drops
    wait_until(lambda: agent.client.connections >= 2, "the agent to reconnect")
    # The backend re-sent the unacknowledged job on reconnect; the agent did not run it again.
    wait_until(lambda: load_job(live_db, job["id"]).attempts >= 2, "the job to be re-sent")
    gated_reader.gate.set()

    done = clerk.get(f"/api/v1/agent/jobs/{job['id']}", params={"wait": 20}).json()
    assert done["status"] == "done", done
    assert gated_reader.reads == 1 and agent.client.runs[job["id"]] == 1
    members = clerk.get(f"/api/v1/visits/{visit_id}").json()["members"]
    assert [(m["name"], m["source"]) for m in members] == [("黒桐　幹也", "card")]
    wait_until(lambda: not agent.client.unacked, "the result to be acknowledged")


def test_a_result_finished_while_offline_is_delivered_on_reconnect(
    live_server: LiveServer, live_db: LiveDb, agent: RunningAgent
) -> None:
    printer = agent.client.handlers.printer
    assert isinstance(printer, GatedPrinter)
    clerk = clerk_client(live_server.url)
    data = b"\x1b@" + "住民票の写し 受付票".encode("cp932") + b"\n\x1dV\x00"
    job = clerk.post(
        "/api/v1/agent/print-jobs",
        json={
            "counter_id": live_db.counter_id,
            "data_b64": base64.b64encode(data).decode(),
        },
    ).json()
    assert printer.started.wait(10)
    agent.transport.down.set()  # the network stays down for a while
    agent.cut()
    wait_until(lambda: not agent.client.connected.is_set(), "the agent to notice")
    printer.gate.set()  # the print finishes while the agent is offline
    wait_until(lambda: job["id"] in agent.client.unacked, "the result to be kept")
    pending = clerk.get(f"/api/v1/agent/jobs/{job['id']}").json()
    assert pending["status"] == "sent" and not pending["agent_online"]

    agent.transport.down.clear()  # network back: the result rides in the hello
    done = clerk.get(f"/api/v1/agent/jobs/{job['id']}", params={"wait": 20}).json()
    assert done["status"] == "done" and done["result"] == {"bytes": len(data)}
    assert printer.printed == [data]  # printed once
    wait_until(lambda: not agent.client.unacked, "the result to be acknowledged")


def test_a_backend_restart_loses_no_print_job(live_db: LiveDb, hub: object) -> None:
    printer = MemoryPrinter()
    server = start_server()
    port = server.url.rsplit(":", 1)[1]
    running = run_agent(server.url, Handlers(None, printer))
    try:
        server.stop()  # backend down; the agent keeps retrying with back-off
        wait_until(lambda: not running.client.connected.is_set(), "the agent to notice")
        from backend.platform.agentlink.hub import reset_hub

        reset_hub()
        server = start_server(int(port))
        clerk = clerk_client(server.url)
        response = clerk.post(
            "/api/v1/agent/print-jobs",
            json={
                "counter_id": live_db.counter_id,
                "data_b64": base64.b64encode(b"\x1b@A-012").decode(),
            },
        )
        job_id = response.json()["id"]
        done = clerk.get(f"/api/v1/agent/jobs/{job_id}", params={"wait": 20}).json()
        assert done["status"] == "done", done
        assert printer.printed == [b"\x1b@A-012"]
    finally:
        running.shutdown()
        server.stop()


def test_a_refused_token_is_reported(live_server: LiveServer) -> None:
    async def connect() -> None:
        await WebSocketTransport(live_server.url, "not-a-device-token").connect()

    with ThreadPoolExecutor(1) as pool, pytest.raises(TokenRefused):
        pool.submit(asyncio.run, connect()).result(timeout=30)


def test_agent_offline_is_a_clear_error(live_server: LiveServer, live_db: LiveDb) -> None:
    clerk = clerk_client(live_server.url)
    visit_id = clerk.post("/api/v1/visits", json={"counter_id": live_db.counter_id}).json()["id"]
    response = clerk.post("/api/v1/agent/card-reads", json={"visit_id": visit_id})
    assert response.status_code == 503
    body = response.json()["error"]
    assert body["code"] == "agent_offline" and "端末" in body["message"]


def load_job(live: LiveDb, job_id: str) -> AgentJob:
    with session_scope(tenant_id=live.tenant_id) as session:
        job = session.scalars(select(AgentJob).where(AgentJob.id == job_id)).one()
        session.expunge(job)
        return job


def card_members(live: LiveDb, visit_id: str) -> int:
    with session_scope(tenant_id=live.tenant_id) as session:
        return len(
            session.scalars(
                select(HouseholdMember).where(HouseholdMember.visit_id == visit_id)
            ).all()
        )
