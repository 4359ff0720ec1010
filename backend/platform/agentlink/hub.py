"""The hub: where agents' connections end, jobs are handed out and results are stored.

Thread-safe and synchronous; the asyncio side (``connection``) calls it for short database
work in worker threads, and never waits in one. Every state change is committed before anything
is sent: a job is marked ``sent`` before it leaves, a result is stored before it is
acknowledged. So a dropped connection at any moment loses nothing: unacknowledged jobs are sent
again on reconnect, unacknowledged results come back in the agent's hello, and the agent never
runs a job id twice.

Nothing a request needs lives in this process's memory: jobs, results and the PINs in custody
(``pins``: sealed, seconds long) are rows, and a stored result wakes its waiters on every
replica (``notifier``). So the tablet's request, the clerk's wait and the agent's connection
may each land on a different replica. A PIN whose lifetime passed before its job was sent
fails the job with ``pin_lost``, and the resident enters the PIN again.

The hub knows jobs, not what they are for: a stored result goes to the handler registered for
its job's kind (``hooks.register_result_handler``), in the same transaction as the job's new
status; devices are looked up through ``hooks.devices()``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import contracts.agent as protocol
from backend.platform import notifier
from backend.platform.agentlink import hooks, pins
from backend.platform.agentlink.hooks import AgentDevice, FinishedJob
from backend.platform.agentlink.models import AgentJob, AgentLink, AgentPin, JobKind, JobStatus
from backend.platform.db import new_id, session_scope, utcnow
from backend.platform.errors import MadoguchiError

log = logging.getLogger(__name__)

PRESENCE_SECONDS = 25.0

PIN_LOST = protocol.JobError(
    code="pin_lost",
    message="時間が経ったため、暗証番号が破棄されました。"
    "もう一度「カードを読む」から始め、暗証番号を入力し直してください。",
)
DEFAULT_FAILURE = "窓口の端末で処理に失敗しました。"

Result = protocol.ResultOk | protocol.ResultFailed


class Link(Protocol):
    """One live connection to an agent; thread-safe and never blocks. (What wakes it to look
    for queued jobs is the notifier's device key, from whichever replica queued them.)"""

    def send(self, message: protocol.BackendMessage) -> None: ...


@dataclass(frozen=True)
class AgentIdentity:
    device_id: str
    tenant_id: str
    counter_id: str | None
    name: str = ""


@dataclass
class _Connected:
    link: Link
    kinds: list[str] = field(default_factory=list)
    link_id: str = field(default_factory=new_id)


class Hub:
    """The connections this process holds; everything else is in the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._device_locks: dict[str, threading.Lock] = {}
        self._links: dict[str, _Connected] = {}

    # --- presence -------------------------------------------------------------------------

    def connected(self, device_id: str) -> bool:
        with self._lock:
            return device_id in self._links

    def kinds(self, session: Session, device_id: str) -> list[str]:
        """The job kinds the agent offered, whichever replica holds its connection."""
        with self._lock:
            entry = self._links.get(device_id)
            if entry is not None:
                return list(entry.kinds)
        row = session.get(AgentLink, device_id)
        return list(row.kinds) if row is not None else []

    def device_online(
        self, session: Session, device_id: str, device: AgentDevice | None = None
    ) -> bool:
        """``is_online`` by id: the device row is read only when needed (not connected here,
        connected elsewhere) and not given."""
        if self.connected(device_id):
            return True
        if session.get(AgentLink, device_id) is None:
            return False  # not connected anywhere (its connection's row went with it)
        if device is None or device.id != device_id:
            device = hooks.devices().get(session, device_id)
        return device is not None and _seen_lately(device)

    def is_online(self, session: Session, device: AgentDevice) -> bool:
        """Connected here; or connected to another replica, and seen there within the last
        seconds (a replica that died leaves its row behind, not its pings)."""
        return self.device_online(session, device.id, device)

    # --- connection lifecycle -------------------------------------------------------------

    def attach(self, identity: AgentIdentity, link: Link, hello: protocol.Hello) -> None:
        connected = _Connected(link, list(hello.kinds))
        with self._lock:
            self._links[identity.device_id] = connected
        log.info("agent %s connected", identity.device_id)
        with self._device(identity.device_id):
            with session_scope(tenant_id=identity.tenant_id, write=True) as session:
                hooks.devices().touch(session, identity.device_id)
                session.merge(
                    AgentLink(
                        device_id=identity.device_id,
                        link_id=connected.link_id,
                        kinds=connected.kinds,
                        connected_at=utcnow(),
                    )
                )
            for result in hello.results:
                self._store_result(identity, link, result)
        self.dispatch(identity, resend=True)

    def detach(self, identity: AgentIdentity, link: Link) -> None:
        with self._lock:
            entry = self._links.get(identity.device_id)
            if entry is None or entry.link is not link:
                return  # replaced by a newer connection to this process
            del self._links[identity.device_id]
        # Its row, unless the agent has meanwhile connected again (here or to another replica).
        with session_scope(tenant_id=identity.tenant_id, write=True) as session:
            session.execute(
                delete(AgentLink).where(
                    AgentLink.device_id == identity.device_id,
                    AgentLink.link_id == entry.link_id,
                )
            )
        log.info("agent %s disconnected", identity.device_id)

    def handle(self, identity: AgentIdentity, message: protocol.AgentMessage) -> None:
        link = self._link(identity.device_id)
        if isinstance(message, protocol.Pong):
            self._touch(identity)
        elif link is None:
            log.warning("agent %s sent a %s while detached", identity.device_id, message.type)
        elif isinstance(message, protocol.Hello):
            with self._device(identity.device_id):
                for result in message.results:
                    self._store_result(identity, link, result)
        else:
            with self._device(identity.device_id):
                self._store_result(identity, link, message)

    # --- jobs out -------------------------------------------------------------------------

    def dispatch(self, identity: AgentIdentity, *, resend: bool = False) -> int:
        """Hand queued jobs (and, after a reconnect, unacknowledged ones) to the agent."""
        link = self._link(identity.device_id)
        if link is None:
            return 0
        statuses = [JobStatus.QUEUED.value] + ([JobStatus.SENT.value] if resend else [])
        with self._device(identity.device_id):
            messages: list[protocol.ReadCardJob | protocol.PrintJob] = []
            with session_scope(tenant_id=identity.tenant_id, write=True) as session:
                pins.purge_expired(session)
                # Each job with its sealed PIN, if any, in one statement.
                rows = session.execute(
                    select(AgentJob, AgentPin)
                    .outerjoin(AgentPin, AgentPin.job_id == AgentJob.id)
                    .where(AgentJob.device_id == identity.device_id, AgentJob.status.in_(statuses))
                    .order_by(AgentJob.created_at)
                ).all()
                for job, sealed in rows:
                    message = self._job_message(session, job, sealed)
                    if message is not None:
                        messages.append(message)
            for sent in messages:
                link.send(sent)
        return len(messages)

    def _job_message(
        self, session: Session, job: AgentJob, sealed: AgentPin | None
    ) -> protocol.ReadCardJob | protocol.PrintJob | None:
        pin = None
        if _takes_pin(job):
            pin = pins.unseal(session, job.id, sealed)
            if pin is None:
                self._fail(session, job, PIN_LOST)
                return None
        try:
            message = _job_to_message(job, pin)
        except ValueError as exc:  # pydantic's ValidationError too; it never quotes the PIN
            log.error("job %s cannot be sent: %s", job.id, type(exc).__name__)
            self._fail(session, job, protocol.JobError(code="job_invalid", message=DEFAULT_FAILURE))
            return None
        job.status = JobStatus.SENT.value
        job.attempts += 1
        job.sent_at = utcnow()
        return message

    # --- results in -----------------------------------------------------------------------

    def _store_result(self, identity: AgentIdentity, link: Link, message: Result) -> None:
        job_id = message.job_id
        with session_scope(tenant_id=identity.tenant_id, write=True) as session:
            job = session.scalars(select(AgentJob).where(AgentJob.id == job_id)).one_or_none()
            if job is None or job.device_id != identity.device_id:
                log.warning("agent %s reported an unknown job", identity.device_id)
            elif job.status in (JobStatus.DONE, JobStatus.FAILED):
                pass  # a result seen before (resent after a reconnect): acknowledge again
            elif isinstance(message, protocol.ResultOk):
                self._succeed(session, job, message.result)
            else:
                self._fail(session, job, message.error)
        # Acknowledged only once the result is committed: the agent forgets it after this.
        link.send(protocol.Ack(job_id=job_id))

    def _succeed(
        self,
        session: Session,
        job: AgentJob,
        result: protocol.CardResult | protocol.PrintResult,
    ) -> None:
        handler = hooks.result_handler(job.kind)
        if handler is None:
            log.error("no result handler for %s jobs", job.kind)
            self._fail(
                session, job, protocol.JobError(code="result_unhandled", message=DEFAULT_FAILURE)
            )
            return
        if not isinstance(result, protocol.RESULT_TYPES[job.kind]):
            self._fail(
                session, job, protocol.JobError(code="result_invalid", message=DEFAULT_FAILURE)
            )
            return
        try:
            with session.begin_nested():
                job.result = handler.done(session, _finished(job), result)
        except MadoguchiError as exc:
            self._fail(session, job, protocol.JobError(code=exc.code, message=exc.message))
            return
        job.status = JobStatus.DONE.value
        job.finished_at = utcnow()
        job.error_code = job.error_message = None
        job.data = None  # done: bytes to print are not kept
        if _takes_pin(job):
            pins.drop(session, job.id)
        notifier.publish(session, notifier.job_key(job.id))

    def _fail(self, session: Session, job: AgentJob, error: protocol.JobError) -> None:
        job.status = JobStatus.FAILED.value
        job.finished_at = utcnow()
        job.error_code = (error.code or "agent_error")[:48]
        job.error_message = error.message or DEFAULT_FAILURE
        retries = error.retries_left
        job.error_detail = {} if retries is None else {"retries_left": retries}
        if _takes_pin(job):
            pins.drop(session, job.id)
        notifier.publish(session, notifier.job_key(job.id))
        handler = hooks.result_handler(job.kind)
        if handler is None or handler.failed is None:
            return
        stored = protocol.JobError(
            code=job.error_code, message=job.error_message, retries_left=retries
        )
        try:
            with session.begin_nested():
                handler.failed(session, _finished(job), stored)
        except MadoguchiError as exc:  # the job stays failed; its domain could not note it
            log.warning("job %s failure not noted: %s", job.id, exc.code)

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
            hooks.devices().touch(session, identity.device_id)


def _takes_pin(job: AgentJob) -> bool:
    """A card read whose PIN comes from the tablet: the only jobs with a PIN in custody
    (``service.submit_pin`` takes one only for a job waiting for it)."""
    return job.kind == JobKind.READ_CARD and (job.params or {}).get("pin_at") == "tablet"


def _seen_lately(device: AgentDevice) -> bool:
    seen = device.last_seen_at
    return seen is not None and (utcnow() - seen).total_seconds() < PRESENCE_SECONDS


def _job_to_message(job: AgentJob, pin: str | None) -> protocol.ReadCardJob | protocol.PrintJob:
    params = dict(job.params or {})
    if job.kind == JobKind.READ_CARD:
        read = protocol.ReadCardParams.model_validate(params | ({"pin": pin} if pin else {}))
        return protocol.ReadCardJob(job_id=job.id, params=read)
    if job.kind == JobKind.PRINT:
        printed = protocol.PrintParams.model_validate(params)
        return protocol.PrintJob(job_id=job.id, params=printed, data=job.data or b"")
    raise ValueError(f"no such job kind: {job.kind}")


def _finished(job: AgentJob) -> FinishedJob:
    return FinishedJob(
        id=job.id,
        kind=job.kind,
        tenant_id=job.tenant_id,
        device_id=job.device_id,
        counter_id=job.counter_id,
        visit_id=job.visit_id,
        params=dict(job.params or {}),
    )


_hub: Hub | None = None
_hub_lock = threading.Lock()


def get_hub() -> Hub:
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = Hub()
        return _hub


def reset_hub(hub: Hub | None = None) -> Hub:
    """A fresh hub (tests; a restarted process starts with no connections)."""
    global _hub
    with _hub_lock:
        _hub = hub or Hub()
        return _hub


def deadline_after(seconds: float) -> float:
    return time.monotonic() + max(0.0, seconds)


def seconds_left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
