"""Stateless replicas: a card read whose requests land on different backend processes.

Two real ``madoguchi serve`` processes on two ports share one PostgreSQL database: the agent's
WebSocket is held by one, the tablet's PIN and the clerk's requests go to the other (and the
clerk's wait to either). Then one ``serve --workers 2`` on one port, where the kernel picks the
process. No read may be lost (``pin_lost`` was 50–100 % of reads when the PIN lived in the memory
of the process that received it), and the processes' logs hold no PIN and no personal data.

Also here: the pieces that let replicas scale: TCP_NODELAY on every connection of ``serve``, and
SQLite's writers queued on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from security_logscan import scan, synthetic_strings

from backend.platform.db import Turns
from backend.platform.errors import DatabaseUnavailable
from backend.platform.settings import get_settings
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from backend.server_cli import (
    HTTP_PROTOCOL,
    NoDelayH11Protocol,
    NoDelayHttpToolsProtocol,
    set_nodelay,
    uvicorn_options,
)
from hardware.agent.fakes import FakeCardReader, MemoryPrinter
from hardware.agent.handlers import Handlers
from tests.backend.agentlink.conftest import TABLET_TOKEN, LiveDb, seed_live
from tests.backend.agentlink.test_agent_live import run_agent, wait_until
from tests.conftest import scratch_postgres_url
from tests.helpers.net import free_port

PIN = "7193"
READS = 8
ROOT = Path(__file__).resolve().parents[2]


class Serve:
    """``madoguchi serve`` in a process of its own, its log in a file."""

    def __init__(self, url: str, log: Path, *, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = os.environ | {
            "MADOGUCHI_DATABASE_URL": url,
            "MADOGUCHI_ENVIRONMENT": "test",
            "MADOGUCHI_LOG_LEVEL": "DEBUG",
        }
        madoguchi = str(Path(sys.executable).parent / "madoguchi")  # the installed command
        command = [madoguchi, "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(workers)]
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    def ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("serve did not become ready")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._out.close()


@pytest.fixture
def shared_postgres(tmp_path: Path) -> Iterator[tuple[str, LiveDb]]:
    with scratch_postgres_url("madoguchi_replicas") as url:
        yield url, seed_live(url)


def _clerk(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=60)
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
    )
    response.raise_for_status()
    client.headers["x-csrf-token"] = response.json()["csrf_token"]
    return client


def _tablet(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, timeout=60, headers={"authorization": f"Bearer {TABLET_TOKEN}"}
    )


def _read_card(
    live: LiveDb, clerk: httpx.Client, tablet: httpx.Client, waiter: httpx.Client
) -> dict[str, Any]:
    visit = clerk.post("/api/v1/visits", json={"counter_id": live.counter_id})
    assert visit.status_code == 201, visit.text
    job = clerk.post("/api/v1/agent/card-reads", json={"visit_id": visit.json()["id"]})
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    asked = tablet.get("/api/v1/agent/pin-request").json()
    assert asked is not None and asked["id"] == job_id
    pinned = tablet.post(f"/api/v1/agent/jobs/{job_id}/pin", json={"pin": PIN})
    assert pinned.status_code == 200, pinned.text
    for _ in range(4):  # the clerk's screen long-polls until the read ends
        read = waiter.get(f"/api/v1/agent/jobs/{job_id}", params={"wait": 20}).json()
        if read["status"] in ("done", "failed"):
            break
    return dict(read)


PIN_IN_TEXT = re.compile(rf"(?<![0-9A-Za-z]){PIN}(?![0-9A-Za-z])")


def _assert_clean_logs(*logs: Path) -> None:
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "GET /api/v1/agent/jobs" in text  # the log is the servers' (DEBUG, access lines)
        assert not PIN_IN_TEXT.search(text), f"the PIN is in {log.name}"
        assert scan(text, synthetic_strings()) == [], log.name


@pytest.mark.parametrize("layout", ["two-ports", "workers-2"])
def test_card_reads_across_processes_lose_nothing(
    layout: str, shared_postgres: tuple[str, LiveDb], tmp_path: Path
) -> None:
    url, live = shared_postgres
    with ExitStack() as cleanup:
        if layout == "two-ports":
            holder = Serve(url, tmp_path / "serve-a.log")  # holds the agent's WebSocket
            other = Serve(url, tmp_path / "serve-b.log")  # takes the tablet's and clerk's calls
            servers = [holder, other]
        else:
            holder = other = Serve(url, tmp_path / "serve-workers.log", workers=2)
            servers = [holder]
        for server in servers:
            cleanup.callback(server.stop)
        for server in servers:
            server.ready()
        agent = run_agent(holder.url, Handlers(FakeCardReader(pin=PIN), MemoryPrinter()))
        cleanup.callback(agent.shutdown)
        clerk, tablet = _clerk(other.url), _tablet(other.url)
        waiters = [_clerk(holder.url), clerk]

        reads = [_read_card(live, clerk, tablet, waiters[i % 2]) for i in range(READS)]

        lost = [r for r in reads if r["status"] != "done"]
        assert lost == [], [(r["status"], r["error"]) for r in lost]
        assert all(r["result"] and set(r["result"]) == {"member_id"} for r in reads)
        wait_until(lambda: not agent.client.unacked, "the results to be acknowledged")
    _assert_clean_logs(*(server.log for server in servers))


# --- what scaling out rests on ------------------------------------------------------------------


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


def _accepted_without_nodelay() -> tuple[socket.socket, list[socket.socket]]:
    """A connection accepted on a listener made as uvicorn's ``Config.bind_socket`` makes it
    for ``--workers N`` (proto 0): asyncio's own ``_set_nodelay`` skips such a socket."""
    listener = socket.socket(socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    assert accepted.proto == 0
    assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    return accepted, [client, accepted, listener]


def test_serve_sets_tcp_nodelay_where_asyncio_does_not() -> None:
    accepted, sockets = _accepted_without_nodelay()
    try:
        set_nodelay(_Transport(accepted))  # type: ignore[arg-type]
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.parametrize("protocol", [NoDelayH11Protocol, NoDelayHttpToolsProtocol])
def test_each_http_protocol_of_serve_sets_tcp_nodelay(protocol: type[asyncio.Protocol]) -> None:
    """Whichever parser serves (httptools, or h11 where it is missing), every connection it
    is handed gets TCP_NODELAY, the ``--workers N`` ones included."""
    import uvicorn
    from uvicorn.server import ServerState

    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    config = uvicorn.Config(app, log_config=None)
    config.load()
    loop = asyncio.new_event_loop()
    accepted, sockets = _accepted_without_nodelay()
    try:
        handler = protocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)  # type: ignore[call-arg]
        handler.connection_made(_Transport(accepted))  # type: ignore[arg-type]
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        loop.close()
        for sock in sockets:
            sock.close()


def test_serve_uses_httptools_and_uvloop_when_installed() -> None:
    """The C parser and event loop (dependencies of the project) serve by default."""
    import uvicorn
    import uvloop

    options = uvicorn_options(get_settings())
    assert options["http"] is HTTP_PROTOCOL is NoDelayHttpToolsProtocol
    config = uvicorn.Config("backend.app:create_app", loop=options["loop"])
    loop = config.get_loop_factory()()  # type: ignore[misc]
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_serve_falls_back_to_h11_without_httptools() -> None:
    script = (
        "import sys; sys.modules['httptools'] = None\n"  # as if it were not installed
        "from backend.server_cli import HTTP_PROTOCOL, uvicorn_options\n"
        "from backend.platform.settings import get_settings\n"
        "assert uvicorn_options(get_settings())['http'] is HTTP_PROTOCOL\n"
        "print(HTTP_PROTOCOL.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "NoDelayH11Protocol"


def test_sqlite_writers_take_turns_on_the_event_loop() -> None:
    async def scenario() -> list[str]:
        turns = Turns(1)
        order: list[str] = []
        await turns.acquire()

        async def writer(name: str) -> None:
            await turns.acquire()
            order.append(name)
            turns.release()

        tasks = [asyncio.create_task(writer(name)) for name in ("second", "third")]
        while turns.queued < 2:
            await asyncio.sleep(0)
        order.append("first")
        turns.release()
        await asyncio.gather(*tasks)

        await turns.acquire()  # busy again: a writer that cannot get a turn gets a clear error
        with pytest.raises(DatabaseUnavailable):
            await turns.acquire(timeout=0.01)
        assert turns.queued == 0
        turns.release()
        await turns.acquire(timeout=1)  # the turn was not lost with the one that gave up
        turns.release()
        return order

    assert asyncio.run(scenario()) == ["first", "second", "third"]


def test_a_websocket_frame_is_logged_without_its_text() -> None:
    """At DEBUG, websockets logs each frame (on the server through ``uvicorn.error``): a job's
    PIN would be in the log. The filter keeps the frame's kind and size only."""
    import logging

    from websockets.frames import Frame, Opcode

    from backend.platform.logging_setup import MaskPersonalDataFilter

    data = b'{"type": "job", "job_id": "j1", "params": {"pin": "' + PIN.encode() + b'"}}'
    record = logging.LogRecord(
        "uvicorn.error", logging.DEBUG, __file__, 1, "> %s", (Frame(Opcode.TEXT, data),), None
    )
    assert MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == f"> TEXT frame [{len(data)} bytes]"
