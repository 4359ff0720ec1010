"""The agent client with an in-memory connection: no job id runs twice, even across a restart."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import contracts.agent as protocol
from hardware.agent.client import AgentClient, Backoff, JobLedger
from hardware.agent.fakes import FakeCardReader, MemoryPrinter
from hardware.agent.handlers import Handlers, job_error
from hardware.agent.transport import Connection, Disconnected, websocket_url


def run(coro: Any) -> Any:
    """asyncio.run in a thread of its own: the main thread may hold Playwright's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=30)


class ScriptedConnection:
    """Delivers the given messages (read as the WebSocket transport reads them), records what
    the agent sends as the JSON objects that go on the wire, then drops."""

    def __init__(self, incoming: list[dict[str, Any]]) -> None:
        self.incoming: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        for message in incoming:
            self.incoming.put_nowait(message)
        self.sent: list[dict[str, Any]] = []

    async def send(self, message: protocol.AgentMessage) -> None:
        self.sent.append(protocol.dump(message))

    async def receive(self) -> protocol.BackendMessage:
        message = await self.incoming.get()
        if message is None:
            raise Disconnected("scripted end")
        return protocol.parse_from_backend(message)

    async def close(self) -> None:
        pass


class OneShotTransport:
    def __init__(self, conn: ScriptedConnection) -> None:
        self.conn = conn

    async def connect(self) -> Connection:
        return self.conn


def job(job_id: str, kind: str = "print", **params: Any) -> dict[str, Any]:
    return {"type": "job", "job_id": job_id, "kind": kind, "params": params, "data_b64": "G0BB"}


async def serve_once(client: AgentClient, conn: ScriptedConnection, results: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(client._serve(conn, stop))
    for _ in range(200):
        if len([m for m in conn.sent if m["type"] == "result"]) >= results:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)


def test_a_job_sent_twice_runs_once() -> None:
    printer = MemoryPrinter()
    client = AgentClient(OneShotTransport(ScriptedConnection([])), Handlers(printer=printer))
    conn = ScriptedConnection([job("j1"), job("j1")])
    run(serve_once(client, conn, results=2))
    assert printer.printed == [b"\x1b@A"]
    results = [m for m in conn.sent if m["type"] == "result"]
    assert [r["job_id"] for r in results] == ["j1", "j1"]  # the kept result, sent again
    assert client.runs == {"j1": 1}


def test_a_job_started_before_a_restart_is_not_run_again(tmp_path: Path) -> None:
    state = tmp_path / "agent-state.json"
    ledger = JobLedger(state)
    ledger.start("j1")  # the agent dies here, mid-print
    printer = MemoryPrinter()
    client = AgentClient(
        OneShotTransport(ScriptedConnection([])), Handlers(printer=printer), ledger=JobLedger(state)
    )
    conn = ScriptedConnection([job("j1")])
    run(serve_once(client, conn, results=1))
    assert printer.printed == []
    (result,) = [m for m in conn.sent if m["type"] == "result"]
    assert result["ok"] is False and result["error"]["code"] == "agent_restarted"


def test_the_pin_never_reaches_the_logs_or_the_result() -> None:
    reader = FakeCardReader(pin="8642")
    client = AgentClient(OneShotTransport(ScriptedConnection([])), Handlers(card_reader=reader))
    message = {
        "type": "job",
        "job_id": "c1",
        "kind": "read_card",
        "params": {"pin": "8642", "pin_at": "tablet"},
    }
    assert protocol.masked(protocol.parse_from_backend(message))["params"]["pin"] == "****"
    conn = ScriptedConnection([message])
    run(serve_once(client, conn, results=1))
    assert "8642" not in str(conn.sent)
    (result,) = [m for m in conn.sent if m["type"] == "result"]
    assert result["ok"] and result["result"]["name"] == "黒桐　幹也"


def read_card(pin: str | None = None, **params: Any) -> protocol.ReadCardJob:
    if pin is not None:
        params["pin"] = pin
    return protocol.ReadCardJob(job_id="t", params=protocol.ReadCardParams(**params))


def failure(handlers: Handlers, job: protocol.ReadCardJob | protocol.PrintJob) -> protocol.JobError:
    with pytest.raises(Exception) as caught:
        handlers.run(job)
    return job_error(caught.value)


def test_card_errors_keep_their_code_and_tries_left() -> None:
    reader = FakeCardReader(pin="8642")
    handlers = Handlers(card_reader=reader)
    first = failure(handlers, read_card("0000"))
    assert (first.code, first.retries_left) == ("wrong_pin", 2)
    assert failure(handlers, read_card("0000")).retries_left == 1
    # One try left: refused before the PIN is tried, unless the resident confirmed.
    assert failure(handlers, read_card("8642")).code == "last_try_refused"
    assert reader.tries_left == 1
    result = handlers.run(read_card("8642", allow_last_try=True))
    assert isinstance(result, protocol.CardResult) and result.sex == "1"


def test_unexpected_errors_say_nothing_internal() -> None:
    error = job_error(RuntimeError("secret 8642"))
    assert error.code == "agent_internal_error" and "8642" not in error.message


def test_devices_missing_fail_clearly() -> None:
    printing = protocol.PrintJob(job_id="p", data=b"x")
    assert failure(Handlers(), printing).code == "no_printer"
    assert failure(Handlers(), read_card(pin_at="reader")).code == "no_reader"


def test_backoff_grows_to_its_maximum() -> None:
    delays = Backoff(initial=1, maximum=8, jitter=0).delays()
    assert [next(delays) for _ in range(6)] == [1, 2, 4, 8, 8, 8]


def test_websocket_url() -> None:
    assert websocket_url("https://m.example.jp/") == "wss://m.example.jp/api/v1/agent/ws"
    assert websocket_url("http://127.0.0.1:8000") == "ws://127.0.0.1:8000/api/v1/agent/ws"
