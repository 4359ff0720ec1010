"""``/api/v1/tablet``: the tablet paired with a counter polls what to show and sends the signature.

The tablet authenticates as a device (``Permission.TABLET_SESSION``) and sees only the visit
its counter sent for confirmation; the PIN goes through ``/api/v1/agent/jobs/{id}/pin``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from backend.counter import documents
from backend.counter import service as visits
from backend.counter.errors import VisitNotFound
from backend.counter.models import Visit
from backend.counter.states import ON_TABLET, VisitStatus
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter
from backend.platform.access import Permission, Principal, require
from backend.platform.agentlink import service as agent_service
from backend.platform.agentlink.hub import get_hub
from backend.platform.agentlink.models import AgentJob, JobKind
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from backend.platform.deps import SessionDep
from contracts import Signature

router = APIRouter(prefix="/api/v1/tablet", tags=["tablet"])

TABLET_PRESENCE_SECONDS = 10.0
Tablet = Annotated[Principal, Depends(require(Permission.TABLET_SESSION))]


class TabletVisit(BaseModel):
    id: str
    status: str
    record: dict[str, Any]
    forms: list[dict[str, str]]


class TabletView(BaseModel):
    counter: str | None
    visit: TabletVisit | None
    pin_request: AgentJobRead | None
    card_read: AgentJobRead | None = None


class SignatureSubmit(BaseModel):
    signature: Signature


class Signed(BaseModel):
    documents: int
    forms: list[str]


def _counter_id(principal: Principal) -> str | None:
    assert principal.device is not None
    return principal.device.counter_id


class TabletStatus(BaseModel):
    paired: bool
    online: bool


@router.get("/status", response_model=TabletStatus)
def tablet_status(
    counter_id: str,
    principal: Annotated[Principal, Depends(require(Permission.VISIT_READ))],
    session: SessionDep,
) -> TabletStatus:
    """Whether the counter's tablet is there: it polls every second or two while it runs."""
    tablet = session.scalars(
        select(Device).where(
            Device.kind == DeviceKind.TABLET.value,
            Device.counter_id == counter_id,
            Device.revoked_at.is_(None),
        )
    ).first()
    if tablet is None:
        return TabletStatus(paired=False, online=False)
    seen = tablet.last_seen_at
    online = seen is not None and (utcnow() - seen).total_seconds() < TABLET_PRESENCE_SECONDS
    return TabletStatus(paired=True, online=online)


@router.get("/current", response_model=TabletView)
def current(principal: Tablet, session: SessionDep) -> TabletView:
    """What the tablet shows now: a PIN pad, the data to confirm and sign, or a welcome."""
    counter_id = _counter_id(principal)
    counter = session.get(Counter, counter_id) if counter_id else None
    hub = get_hub()
    pin_job = agent_service.pending_pin_job(session, counter_id)
    latest_read = session.scalars(
        select(AgentJob)
        .where(AgentJob.counter_id == counter_id, AgentJob.kind == JobKind.READ_CARD.value)
        .order_by(AgentJob.created_at.desc())
        .limit(1)
    ).one_or_none()
    visit = session.scalars(
        select(Visit)
        .where(Visit.counter_id == counter_id, Visit.status != VisitStatus.CLOSED)
        .order_by(Visit.created_at.desc())
        .limit(1)
    ).one_or_none()
    shown = None
    if visit is not None and visit.status in ON_TABLET:
        visit = visits.get_visit(session, visit.id)
        prepared = documents.prepare(session, visit)
        shown = TabletVisit(
            id=visit.id,
            status=visit.status,
            record=prepared.record.to_json_dict(),
            forms=documents.form_titles(prepared.forms),
        )
    return TabletView(
        counter=counter.name if counter else None,
        visit=shown,
        pin_request=agent_service.job_read(session, hub, pin_job) if pin_job else None,
        card_read=agent_service.job_read(session, hub, latest_read) if latest_read else None,
    )


@router.post("/visits/{visit_id}/signature", response_model=Signed)
def sign(visit_id: str, body: SignatureSubmit, principal: Tablet, session: SessionDep) -> Signed:
    """The one signature: applied to every form of the visit, bound to each document's hash."""
    visit = visits.get_visit(session, visit_id)
    if visit.counter_id != _counter_id(principal):
        raise VisitNotFound()
    assert principal.device is not None
    stored = documents.sign(session, visit, body.signature, device=principal.device.name)
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="visit.signed",
        actor=principal.actor,
        visit_id=visit.id,
        detail={"documents": ",".join(d.id for d in stored)},
    )
    return Signed(documents=len(stored), forms=[d.form for d in stored])
