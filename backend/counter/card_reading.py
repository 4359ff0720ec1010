"""The counter's jobs for its agent: a card read for a visit, the tablet's PIN, prints.

A clerk asks for a card read (the PIN then comes from the counter's tablet, or the reader's
PIN pad) or a print; the agent link (``backend.platform.agentlink``) carries the job and hands
the result back to the handlers registered here by ``register``: a card's holder becomes a
member of the visit (audited ``card.read``), a printed document and a failed job become events
of the visit.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.orm import Session

import contracts.agent as protocol
from backend.counter import service as visits
from backend.platform.access import Principal
from backend.platform.agentlink import hooks
from backend.platform.agentlink import service as agents
from backend.platform.agentlink.errors import JobNotFound
from backend.platform.agentlink.hooks import FinishedJob
from backend.platform.agentlink.hub import get_hub
from backend.platform.agentlink.models import AgentJob, JobKind
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.audit import service as audit

# --- requests --------------------------------------------------------------------------------


def start_card_read(
    session: Session,
    *,
    visit_id: str,
    pin_at: Literal["tablet", "reader"],
    allow_last_try: bool,
    actor: str,
) -> AgentJob:
    """A card read for an open visit, on its counter's agent (which must be online)."""
    hub = get_hub()
    visit = visits.get_visit(session, visit_id)
    visits.ensure_open(visit)
    device = agents.require_online_agent(session, hub, visit.counter_id)
    agents.supersede_pin_requests(session, visit.counter_id)
    job = agents.queue_job(
        session,
        hub,
        device,
        kind=JobKind.READ_CARD,
        params={"pin_at": pin_at, "allow_last_try": allow_last_try},
        counter_id=visit.counter_id,
        visit_id=visit.id,
        actor=actor,
        awaiting_pin=pin_at == "tablet",
    )
    visits.add_event(session, visit, "card.read_requested", {"job_id": job.id, "pin_at": pin_at})
    return job


def request_card_read(
    session: Session,
    *,
    visit_id: str,
    pin_at: Literal["tablet", "reader"],
    allow_last_try: bool,
    actor: str,
) -> AgentJobRead:
    job = start_card_read(
        session, visit_id=visit_id, pin_at=pin_at, allow_last_try=allow_last_try, actor=actor
    )
    return agents.job_read(session, get_hub(), job)


def pending_pin_request(session: Session, principal: Principal) -> AgentJobRead | None:
    """The card read waiting for the PIN at this tablet's counter, if any."""
    assert principal.device is not None
    job = agents.pending_pin_job(session, principal.device.counter_id)
    return None if job is None else agents.job_read(session, get_hub(), job)


def submit_pin(session: Session, principal: Principal, job_id: str, pin: str) -> AgentJobRead:
    """The resident's PIN from the tablet of the job's counter (kept in memory only)."""
    job = agents.get_job(session, job_id)
    if principal.device is not None and principal.device.counter_id != job.counter_id:
        raise JobNotFound()  # a tablet sees only its own counter's jobs
    hub = get_hub()
    return agents.job_read(session, hub, agents.submit_pin(session, hub, job, pin))


def submit_print(
    session: Session,
    *,
    counter_id: str,
    data_b64: str,
    target: str,
    visit_id: str | None,
    label: str | None,
    actor: str,
) -> AgentJobRead:
    """Bytes to the counter's printer, noted on the visit when there is one."""
    data = agents.decode_print_data(data_b64)
    if visit_id is not None:
        visits.get_visit(session, visit_id)
    hub = get_hub()
    job = agents.submit_print(
        session,
        hub,
        counter_id=counter_id,
        data=data,
        target=target,
        visit_id=visit_id,
        label=label,
        actor=actor,
    )
    return agents.job_read(session, hub, job)


# --- results ---------------------------------------------------------------------------------


def apply_card_result(
    session: Session, job: FinishedJob, card: protocol.CardResult
) -> dict[str, Any]:
    """The card's holder becomes a member of the visit; the job keeps only the member's id."""
    assert job.visit_id is not None
    visit = visits.get_visit(session, job.visit_id)
    fields = visits.CardFields(
        name=card.name, address=card.address, birth_date=card.birth_date, sex=card.sex
    )
    member = visits.add_card_member(session, visit, fields, job_id=job.id)
    audit.record(
        session,
        tenant_id=job.tenant_id,
        action="card.read",
        actor=job.actor,
        visit_id=visit.id,
        detail={"job_id": job.id, "member_id": member.id},
    )
    return {"member_id": member.id}


def apply_print_result(
    session: Session, job: FinishedJob, printed: protocol.PrintResult
) -> dict[str, Any]:
    """A printed document: an event of its visit, if any, and an audit row."""
    if job.visit_id is not None:
        visit = visits.get_visit(session, job.visit_id)
        visits.add_event(session, visit, "document.printed", {"job_id": job.id, **job.params})
    audit.record(
        session,
        tenant_id=job.tenant_id,
        action="print",
        actor=job.actor,
        visit_id=job.visit_id,
        detail={"job_id": job.id},
    )
    return {"bytes": printed.bytes}


def note_failure(session: Session, job: FinishedJob, error: protocol.JobError) -> None:
    """A failed job of a visit becomes its event (``read_card.failed``, ``print.failed``)."""
    if job.visit_id is None:
        return
    visit = visits.get_visit(session, job.visit_id)
    data: dict[str, Any] = {"job_id": job.id, "code": error.code}
    if error.retries_left is not None:
        data["retries_left"] = error.retries_left
    visits.add_event(session, visit, f"{job.kind}.failed", data)


def register() -> None:
    """Send the agent's card and print results to the counter (called once at app start)."""
    hooks.register_result_handler(protocol.READ_CARD, done=apply_card_result, failed=note_failure)
    hooks.register_result_handler(protocol.PRINT, done=apply_print_result, failed=note_failure)
