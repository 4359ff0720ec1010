"""The hub: where agents' connections end, jobs are handed out and results are stored.

Thread-safe and synchronous; the asyncio side (``connection``) calls it in worker threads.
Every state change is committed before anything is sent: a job is marked ``sent``
before it leaves, a result is stored before it is acknowledged. So a dropped connection at any
moment loses nothing: unacknowledged jobs are sent again on reconnect, unacknowledged results
come back in the agent's hello, and the agent never runs a job id twice.

PINs are held here, in memory only, keyed by job id, and dropped when the job ends or expires.
A backend restart therefore drops the PINs of pending card reads: those jobs fail with
``pin_lost`` and the resident enters the PIN again.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

import contracts.agent as protocol
from backend.counter import service as visits
from backend.identity.devices.models import Device
from backend.platform.agentlink.models import AgentJob, JobKind, JobStatus
from backend.platform.audit import service as audit
from backend.platform.db import session_scope, utcnow
from backend.platform.errors import MadoguchiError
from contracts.agent import Message

log = logging.getLogger(__name__)

PIN_TTL_SECONDS = 180.0
PRESENCE_SECONDS = 25.0

PIN_LOST = (
    "pin_lost",
    "サーバーが再起動したか時間が経ったため、暗証番号が破棄されました。"
    "もう一度「カードを読む」から始め、暗証番号を入力し直してください。",
)


class Link(Protocol):
    """One live connection to an agent; both methods are thread-safe and never block."""

    def send(self, message: Message) -> None: ...

    def wake(self) -> None: ...


@dataclass(frozen=True)
class AgentIdentity:
    device_id: str
    tenant_id: str
    counter_id: str | None
    name: str = ""


@dataclass
class _Pin:
    value: str
    expires: float


@dataclass
class _Connected:
    link: Link
    kinds: list[str] = field(default_factory=list)


class Hub:
    def __init__(self, *, pin_ttl: float = PIN_TTL_SECONDS) -> None:
        self.pin_ttl = pin_ttl
        self._lock = threading.Lock()
        self._device_locks: dict[str, threading.Lock] = {}
        self._links: dict[str, _Connected] = {}
        self._pins: dict[str, _Pin] = {}
        self._detached: dict[str, dt.datetime] = {}
        self._changed = threading.Condition()

    # --- presence -------------------------------------------------------------------------

    def connected(self, device_id: str) -> bool:
        with self._lock:
            return device_id in self._links

    def kinds(self, device_id: str) -> list[str]:
        with self._lock:
            entry = self._links.get(device_id)
            return list(entry.kinds) if entry else []

    def is_online(self, device: Device) -> bool:
        """Connected here, or (another backend process) seen within the last seconds."""
        if self.connected(device.id):
            return True
        seen = device.last_seen_at
        with self._lock:
            detached = self._detached.get(device.id)
        if seen is None or (detached is not None and seen <= detached):
            return False  # it left this process and has not been seen anywhere since
        return (utcnow() - seen).total_seconds() < PRESENCE_SECONDS

    # --- PINs -----------------------------------------------------------------------------

    def put_pin(self, job_id: str, pin: str) -> None:
        with self._lock:
            self._pins[job_id] = _Pin(pin, time.monotonic() + self.pin_ttl)

    def peek_pin(self, job_id: str) -> str | None:
        with self._lock:
            entry = self._pins.get(job_id)
            if entry is None:
                return None
            if entry.expires < time.monotonic():
                del self._pins[job_id]
                return None
            return entry.value

    def drop_pin(self, job_id: str) -> None:
        with self._lock:
            self._pins.pop(job_id, None)

    def held_pins(self) -> int:
        with self._lock:
            return len(self._pins)

    # --- connection lifecycle -------------------------------------------------------------

    def attach(self, identity: AgentIdentity, link: Link, hello: Message) -> None:
        with self._lock:
            self._links[identity.device_id] = _Connected(link, list(hello.get("kinds") or []))
        log.info("agent %s connected", identity.device_id)
        with self._device(identity.device_id):
            self._touch(identity)
            for result in hello.get("results") or []:
                self._store_result(identity, link, result)
        self.dispatch(identity, resend=True)

    def detach(self, identity: AgentIdentity, link: Link) -> None:
        with self._lock:
            entry = self._links.get(identity.device_id)
            if entry is not None and entry.link is link:
                del self._links[identity.device_id]
                self._detached[identity.device_id] = utcnow()
        log.info("agent %s disconnected", identity.device_id)

    def handle(self, identity: AgentIdentity, message: Message) -> None:
        kind = message.get("type")
        link = self._link(identity.device_id)
        if kind == protocol.RESULT and link is not None:
            with self._device(identity.device_id):
                self._store_result(identity, link, message)
        elif kind == protocol.PONG:
            self._touch(identity)
        elif kind == protocol.HELLO and link is not None:
            with self._device(identity.device_id):
                for result in message.get("results") or []:
                    self._store_result(identity, link, result)
        else:
            log.warning("agent %s sent an unexpected message %r", identity.device_id, kind)

    def wake(self, device_id: str) -> None:
        link = self._link(device_id)
        if link is not None:
            link.wake()

    # --- jobs out -------------------------------------------------------------------------

    def dispatch(self, identity: AgentIdentity, *, resend: bool = False) -> int:
        """Hand queued jobs (and, after a reconnect, unacknowledged ones) to the agent."""
        link = self._link(identity.device_id)
        if link is None:
            return 0
        statuses = [JobStatus.QUEUED.value] + ([JobStatus.SENT.value] if resend else [])
        with self._device(identity.device_id):
            messages: list[Message] = []
            with session_scope(tenant_id=identity.tenant_id, write=True) as session:
                jobs = session.scalars(
                    select(AgentJob)
                    .where(AgentJob.device_id == identity.device_id, AgentJob.status.in_(statuses))
                    .order_by(AgentJob.created_at)
                ).all()
                for job in jobs:
                    message = self._job_message(session, job)
                    if message is not None:
                        messages.append(message)
            for message in messages:
                link.send(message)
        if jobs:
            self._notify()
        return len(messages)

    def _job_message(self, session: Session, job: AgentJob) -> Message | None:
        params: dict[str, Any] = dict(job.params or {})
        if job.kind == JobKind.READ_CARD and params.get("pin_at") == "tablet":
            pin = self.peek_pin(job.id)
            if pin is None:
                self._fail(session, job, {"code": PIN_LOST[0], "message": PIN_LOST[1]})
                return None
            params["pin"] = pin
        message: Message = {
            "type": protocol.JOB,
            "job_id": job.id,
            "kind": job.kind,
            "params": params,
        }
        if job.data is not None:
            message["data_b64"] = base64.b64encode(job.data).decode("ascii")
        job.status = JobStatus.SENT.value
        job.attempts += 1
        job.sent_at = utcnow()
        return message

    # --- results in -----------------------------------------------------------------------

    def _store_result(self, identity: AgentIdentity, link: Link, message: Message) -> None:
        job_id = str(message.get("job_id"))
        with session_scope(tenant_id=identity.tenant_id, write=True) as session:
            job = session.scalars(select(AgentJob).where(AgentJob.id == job_id)).one_or_none()
            if job is None or job.device_id != identity.device_id:
                log.warning("agent %s reported an unknown job", identity.device_id)
            elif job.status in (JobStatus.DONE, JobStatus.FAILED):
                pass  # a result seen before (resent after a reconnect): acknowledge again
            elif message.get("ok"):
                self._succeed(session, job, dict(message.get("result") or {}), identity)
            else:
                self._fail(session, job, dict(message.get("error") or {}))
        # Acknowledged only once the result is committed: the agent forgets it after this.
        link.send({"type": protocol.ACK, "job_id": job_id})
        self._notify()

    def _succeed(
        self, session: Session, job: AgentJob, result: dict[str, Any], identity: AgentIdentity
    ) -> None:
        try:
            with session.begin_nested():
                job.result = self._apply(session, job, result, identity)
        except MadoguchiError as exc:
            self._fail(session, job, {"code": exc.code, "message": exc.message})
            return
        job.status = JobStatus.DONE.value
        job.finished_at = utcnow()
        job.error_code = job.error_message = None
        self.drop_pin(job.id)

    def _apply(
        self, session: Session, job: AgentJob, result: dict[str, Any], identity: AgentIdentity
    ) -> dict[str, Any]:
        actor = f"device:{identity.device_id}"
        if job.kind == JobKind.READ_CARD:
            assert job.visit_id is not None
            visit = visits.get_visit(session, job.visit_id)
            card = visits.CardFields(
                name=str(result.get("name") or ""),
                address=str(result.get("address") or ""),
                birth_date=str(result.get("birth_date") or ""),
                sex=str(result.get("sex") or ""),
            )
            member = visits.add_card_member(session, visit, card, job_id=job.id)
            audit.record(
                session,
                tenant_id=job.tenant_id,
                action="card.read",
                actor=actor,
                visit_id=visit.id,
                detail={"job_id": job.id, "member_id": member.id},
            )
            return {"member_id": member.id}
        if job.kind == JobKind.PRINT:
            printed = len(job.data or b"")
            job.data = None  # printed: the bytes are not kept
            if job.visit_id is not None:
                visit = visits.get_visit(session, job.visit_id)
                visits.add_event(
                    session, visit, "document.printed", {"job_id": job.id, **(job.params or {})}
                )
            audit.record(
                session,
                tenant_id=job.tenant_id,
                action="print",
                actor=actor,
                visit_id=job.visit_id,
                detail={"job_id": job.id},
            )
            return {"bytes": printed}
        return {}

    def _fail(self, session: Session, job: AgentJob, error: dict[str, Any]) -> None:
        job.status = JobStatus.FAILED.value
        job.finished_at = utcnow()
        job.error_code = str(error.get("code") or "agent_error")[:48]
        job.error_message = str(error.get("message") or "窓口の端末で処理に失敗しました。")
        job.error_detail = {k: v for k, v in error.items() if k in ("retries_left",)}
        self.drop_pin(job.id)
        if job.visit_id is not None:
            visit = visits.get_visit(session, job.visit_id)
            data: dict[str, Any] = {"job_id": job.id, "code": job.error_code}
            data.update(job.error_detail)
            visits.add_event(session, visit, f"{job.kind}.failed", data)

    # --- waiting --------------------------------------------------------------------------

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_change(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait(timeout=timeout)

    # --- internals ------------------------------------------------------------------------

    def _link(self, device_id: str) -> Link | None:
        with self._lock:
            entry = self._links.get(device_id)
            return entry.link if entry else None

    @contextmanager
    def _device(self, device_id: str) -> Iterator[None]:
        with self._lock:
            lock = self._device_locks.setdefault(device_id, threading.Lock())
        with lock:
            yield

    def _touch(self, identity: AgentIdentity) -> None:
        with session_scope(tenant_id=identity.tenant_id, write=True) as session:
            device = session.scalars(
                select(Device).where(Device.id == identity.device_id)
            ).one_or_none()
            if device is not None:
                device.last_seen_at = utcnow()


_hub: Hub | None = None
_hub_lock = threading.Lock()


def get_hub() -> Hub:
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = Hub()
        return _hub


def reset_hub(hub: Hub | None = None) -> Hub:
    """A fresh hub (tests; a restarted process starts with an empty one, PINs gone)."""
    global _hub
    with _hub_lock:
        _hub = hub or Hub()
        return _hub


def deadline_after(seconds: float) -> float:
    return time.monotonic() + max(0.0, seconds)


def seconds_left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
