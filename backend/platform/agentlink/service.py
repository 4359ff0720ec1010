"""Submitting jobs to a counter's agent and waiting for their results."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.identity.devices.models import Device, DeviceKind
from backend.platform import uow
from backend.platform.agentlink.errors import (
    AgentNotPaired,
    AgentOffline,
    InvalidPin,
    JobNotAwaitingPin,
    JobNotFound,
    NotReprintable,
)
from backend.platform.agentlink.hub import Hub, deadline_after, seconds_left
from backend.platform.agentlink.models import AgentJob, JobKind, JobStatus
from backend.platform.agentlink.schemas import AgentJobRead, AgentStatus, JobError
from backend.platform.db import session_scope
from backend.platform.errors import BadRequest

PIN_PATTERN = re.compile(r"^[0-9]{4}$")
MAX_PRINT_BYTES = 16 * 1024 * 1024


def agent_for_counter(session: Session, counter_id: str | None) -> Device | None:
    if counter_id is None:
        return None
    return session.scalars(
        select(Device)
        .where(
            Device.kind == DeviceKind.AGENT.value,
            Device.counter_id == counter_id,
            Device.revoked_at.is_(None),
        )
        .order_by(Device.created_at)
        .limit(1)
    ).one_or_none()


def require_agent(session: Session, counter_id: str | None) -> Device:
    device = agent_for_counter(session, counter_id)
    if device is None:
        raise AgentNotPaired()
    return device


def status(session: Session, hub: Hub, counter_id: str) -> AgentStatus:
    device = agent_for_counter(session, counter_id)
    if device is None:
        return AgentStatus(counter_id=counter_id, paired=False, online=False, kinds=[])
    return AgentStatus(
        counter_id=counter_id,
        paired=True,
        online=hub.is_online(device),
        kinds=hub.kinds(device.id),
        device_name=device.name,
    )


def _wake_after_commit(session: Session, hub: Hub, device_id: str) -> None:
    """Tell the connection to dispatch once the job is committed (not before: it must exist)."""
    uow.after_commit(session, lambda: hub.wake(device_id))


def request_card_read(
    session: Session,
    hub: Hub,
    *,
    visit_id: str,
    pin_at: str,
    allow_last_try: bool,
    actor: str,
) -> AgentJob:
    visit = visits.get_visit(session, visit_id)
    visits.ensure_open(visit)
    device = require_agent(session, visit.counter_id)
    if not hub.is_online(device):
        raise AgentOffline()
    # Only one card read waits for a PIN per counter: a new request replaces an older one.
    for stale in session.scalars(
        select(AgentJob).where(
            AgentJob.counter_id == visit.counter_id,
            AgentJob.status == JobStatus.AWAITING_PIN.value,
        )
    ):
        stale.status = JobStatus.FAILED.value
        stale.error_code = "superseded"
        stale.error_message = "新しい読み取りが始まったため取り消しました。"
    job = AgentJob(
        tenant_id=visit.tenant_id,
        device_id=device.id,
        counter_id=visit.counter_id,
        visit_id=visit.id,
        kind=JobKind.READ_CARD.value,
        status=(JobStatus.AWAITING_PIN if pin_at == "tablet" else JobStatus.QUEUED).value,
        params={"pin_at": pin_at, "allow_last_try": allow_last_try},
        requested_by=actor,
    )
    session.add(job)
    session.flush()
    visits.add_event(session, visit, "card.read_requested", {"job_id": job.id, "pin_at": pin_at})
    if job.status == JobStatus.QUEUED:
        _wake_after_commit(session, hub, device.id)
    return job


def get_job(session: Session, job_id: str) -> AgentJob:
    job = session.scalars(select(AgentJob).where(AgentJob.id == job_id)).one_or_none()
    if job is None:
        raise JobNotFound()
    return job


def pending_pin_job(session: Session, counter_id: str | None) -> AgentJob | None:
    if counter_id is None:
        return None
    return session.scalars(
        select(AgentJob)
        .where(AgentJob.counter_id == counter_id, AgentJob.status == JobStatus.AWAITING_PIN.value)
        .order_by(AgentJob.created_at.desc())
        .limit(1)
    ).one_or_none()


def submit_pin(session: Session, hub: Hub, job: AgentJob, pin: str) -> AgentJob:
    if job.status != JobStatus.AWAITING_PIN:
        raise JobNotAwaitingPin()
    if not PIN_PATTERN.fullmatch(pin):
        raise InvalidPin()
    device = session.get(Device, job.device_id)
    if device is None or not hub.is_online(device):
        raise AgentOffline()
    hub.put_pin(job.id, pin)
    job.status = JobStatus.QUEUED.value
    session.flush()
    _wake_after_commit(session, hub, job.device_id)
    return job


def submit_print(
    session: Session,
    hub: Hub,
    *,
    counter_id: str,
    data: bytes,
    target: str,
    visit_id: str | None,
    label: str | None,
    actor: str,
) -> AgentJob:
    if not data or len(data) > MAX_PRINT_BYTES:
        raise BadRequest("印刷データが空か、大きすぎます。", code="print_data_invalid")
    device = require_agent(session, counter_id)
    if visit_id is not None:
        visits.get_visit(session, visit_id)
    params: dict[str, Any] = {"target": target}
    if label:
        params["label"] = label
    job = AgentJob(
        tenant_id=device.tenant_id,
        device_id=device.id,
        counter_id=counter_id,
        visit_id=visit_id,
        kind=JobKind.PRINT.value,
        status=JobStatus.QUEUED.value,
        params=params,
        data=data,
        requested_by=actor,
    )
    session.add(job)
    session.flush()
    _wake_after_commit(session, hub, device.id)
    return job


def decode_print_data(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("印刷データ (base64) が読めません。", code="print_data_invalid") from exc


def reprint(session: Session, hub: Hub, job: AgentJob, *, actor: str) -> AgentJob:
    """A failed print (e.g. out of paper) again, as a new job: the agent runs an id once."""
    if job.kind != JobKind.PRINT or job.status != JobStatus.FAILED or job.data is None:
        raise NotReprintable()
    again = AgentJob(
        tenant_id=job.tenant_id,
        device_id=job.device_id,
        counter_id=job.counter_id,
        visit_id=job.visit_id,
        kind=job.kind,
        status=JobStatus.QUEUED.value,
        params=dict(job.params or {}),
        data=job.data,
        retry_of=job.id,
        requested_by=actor,
    )
    job.data = None  # the bytes move to the new job
    session.add(again)
    session.flush()
    _wake_after_commit(session, hub, job.device_id)
    return again


def job_read(session: Session, hub: Hub, job: AgentJob) -> AgentJobRead:
    device = session.get(Device, job.device_id)
    error = None
    if job.error_code:
        retries = (job.error_detail or {}).get("retries_left")
        error = JobError(
            code=job.error_code,
            message=job.error_message or "",
            retries_left=retries if isinstance(retries, int) else None,
        )
    return AgentJobRead(
        id=job.id,
        kind=job.kind,
        status=job.status,
        counter_id=job.counter_id,
        visit_id=job.visit_id,
        params=dict(job.params or {}),
        result=job.result,
        error=error,
        attempts=job.attempts,
        agent_online=device is not None and hub.is_online(device),
        reprintable=job.kind == JobKind.PRINT
        and job.status == JobStatus.FAILED
        and job.data is not None,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


FINAL = (JobStatus.DONE.value, JobStatus.FAILED.value)


def wait_for_job(hub: Hub, tenant_id: str, job_id: str, seconds: float) -> AgentJobRead:
    """Long-poll: the job as soon as it is done or failed, or as it is after ``seconds``.

    Each look is its own short transaction, so a result committed by another thread or
    process is seen (a request's own transaction might hold an older snapshot).
    """
    deadline = deadline_after(seconds)
    while True:
        with session_scope(tenant_id=tenant_id) as session:
            job = get_job(session, job_id)
            read = job_read(session, hub, job)
        left = seconds_left(deadline)
        if read.status in FINAL or left <= 0:
            return read
        hub.wait_change(min(0.5, left))
