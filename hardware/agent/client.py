"""The agent's loop: connect, say hello, run the jobs it is sent, report, reconnect.

Exactly-once from the agent's side:
- a job id is run at most once: ids running or finished are remembered (and, with a state
  file, across a restart of the agent — a job started but not finished then fails as
  ``agent_restarted`` instead of running again, e.g. printing twice);
- a result is kept until the backend acknowledges it, and re-sent in the next hello.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import contracts.agent as protocol
from hardware.agent.handlers import Handlers, job_error, refused_job
from hardware.agent.transport import Connection, Disconnected, TokenRefused, Transport

log = logging.getLogger(__name__)

REMEMBERED_JOBS = 2000


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2

    def delays(self) -> Any:
        delay = self.initial
        while True:
            yield delay * random.uniform(1 - self.jitter, 1 + self.jitter)
            delay = min(delay * self.factor, self.maximum)


class JobLedger:
    """Ids of jobs started and finished; optionally kept in a file to survive a restart."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.started: OrderedDict[str, None] = OrderedDict()
        self.finished: OrderedDict[str, None] = OrderedDict()
        self.interrupted: set[str] = set()
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.finished.update((i, None) for i in data.get("finished", []))
            # Started in a previous life and never finished: its outcome is unknown.
            self.interrupted = {i for i in data.get("started", []) if i not in self.finished}

    def start(self, job_id: str) -> None:
        self.started[job_id] = None
        self._save()

    def finish(self, job_id: str) -> None:
        self.started.pop(job_id, None)
        self.finished[job_id] = None
        while len(self.finished) > REMEMBERED_JOBS:
            self.finished.popitem(last=False)
        self.interrupted.discard(job_id)
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {
            "started": list(self.started) + sorted(self.interrupted),
            "finished": list(self.finished),
        }
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self.path)


class AgentClient:
    def __init__(
        self,
        transport: Transport,
        handlers: Handlers,
        *,
        backoff: Backoff | None = None,
        ledger: JobLedger | None = None,
    ) -> None:
        self.transport = transport
        self.handlers = handlers
        self.backoff = backoff or Backoff()
        self.ledger = ledger or JobLedger()
        self.unacked: OrderedDict[str, protocol.ResultOk | protocol.ResultFailed] = OrderedDict()
        self.running: dict[str, asyncio.Task[None]] = {}
        self.connected = asyncio.Event()
        self.connections = 0
        self.runs: dict[str, int] = {}  # job id → times its handler ran (tests, diagnostics)
        self._conn: Connection | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until ``stop`` is set, reconnecting with exponential back-off."""
        delays = self.backoff.delays()
        while not stop.is_set():
            try:
                conn = await self.transport.connect()
            except TokenRefused:
                log.error("backend refused the device token; pair this agent again")
                await _sleep_or_stop(stop, next(delays))
                continue
            except Disconnected as exc:
                log.warning("cannot reach the backend (%s); retrying", exc)
                await _sleep_or_stop(stop, next(delays))
                continue
            delays = self.backoff.delays()
            try:
                await self._serve(conn, stop)
            except Disconnected:
                log.warning("connection to the backend lost; reconnecting")
            finally:
                self._conn = None
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await conn.close()
            await _sleep_or_stop(stop, next(delays))
        for task in list(self.running.values()):
            task.cancel()

    async def _serve(self, conn: Connection, stop: asyncio.Event) -> None:
        # No await between taking the connection and building the hello: a result that
        # finishes meanwhile is either in the hello or sent on this connection, never neither.
        self._conn = conn
        hello = protocol.hello(self.handlers.kinds, list(self.unacked.values()), list(self.running))
        await conn.send(hello)
        self.connections += 1
        self.connected.set()
        log.info("connected to the backend (%d unacknowledged results resent)", len(self.unacked))
        while not stop.is_set():
            receive = asyncio.ensure_future(conn.receive())
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({receive, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if receive not in done:
                receive.cancel()
                return
            try:
                message = receive.result()
            except protocol.ProtocolError as exc:
                await self._refuse(conn, exc)
                continue
            await self._handle(conn, message)

    async def _handle(self, conn: Connection, message: protocol.BackendMessage) -> None:
        if isinstance(message, protocol.Ping):
            await conn.send(protocol.Pong())
        elif isinstance(message, protocol.Ack):
            self.unacked.pop(message.job_id, None)
        else:
            await self._accept(conn, message)

    async def _refuse(self, conn: Connection, error: protocol.ProtocolError) -> None:
        """A message this agent cannot read; a job among them fails instead of waiting forever."""
        log.warning("ignoring a message from the backend: %s", error)
        job_id = error.job_id
        if error.message_type != protocol.JOB or job_id is None:
            return
        if job_id not in self.unacked and job_id not in self.running:
            self._store_result(job_id, protocol.failed(job_id, refused_job()))
        if job_id in self.unacked:
            await conn.send(self.unacked[job_id])

    async def _accept(
        self, conn: Connection, message: protocol.ReadCardJob | protocol.PrintJob
    ) -> None:
        job_id = message.job_id
        if job_id in self.running:
            return  # still running since before a reconnect; its result will follow
        if job_id in self.unacked:
            await conn.send(self.unacked[job_id])
            return
        if job_id in self.ledger.interrupted:
            self._store_result(job_id, protocol.failed(job_id, _interrupted_error()))
            await self._send_current(self.unacked[job_id])
            return
        if job_id in self.ledger.finished:
            # Finished and acknowledged: the backend has the result already; never run again.
            duplicate = protocol.JobError(code="duplicate_job", message="この処理は実行済みです。")
            await conn.send(protocol.failed(job_id, duplicate))
            return
        log.info("job %s (%s) received", job_id, message.kind)
        self.ledger.start(job_id)
        self.running[job_id] = asyncio.create_task(self._run(job_id, message))

    async def _run(self, job_id: str, job: protocol.ReadCardJob | protocol.PrintJob) -> None:
        self.runs[job_id] = self.runs.get(job_id, 0) + 1
        outcome: protocol.ResultOk | protocol.ResultFailed
        try:
            outcome = protocol.ok(job_id, await asyncio.to_thread(self.handlers.run, job))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            outcome = protocol.failed(job_id, job_error(exc))
        del job  # the PIN, if any, is not kept past the read
        self.running.pop(job_id, None)
        self._store_result(job_id, outcome)
        log.info(
            "job %s finished (%s)",
            job_id,
            "ok" if isinstance(outcome, protocol.ResultOk) else outcome.error.code,
        )
        await self._send_current(outcome)

    def _store_result(
        self, job_id: str, outcome: protocol.ResultOk | protocol.ResultFailed
    ) -> None:
        self.unacked[job_id] = outcome
        self.ledger.finish(job_id)

    async def _send_current(self, outcome: protocol.ResultOk | protocol.ResultFailed) -> None:
        conn = self._conn
        if conn is None:
            return  # kept in unacked; goes out with the next hello
        with contextlib.suppress(Disconnected):
            await conn.send(outcome)


def _interrupted_error() -> protocol.JobError:
    return protocol.JobError(
        code="agent_restarted",
        message="窓口の端末が処理中に再起動したため、結果が分かりません。"
        "印刷物やカードの状態を確認し、必要ならもう一度実行してください。",
    )


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
