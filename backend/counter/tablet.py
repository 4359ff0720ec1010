"""The tablet paired with a counter: whether it is there, what it shows, the signature it sends.

The tablet sees only the visit its counter sent for confirmation (``ON_TABLET``); one function
per request of ``backend.counter.tablet_router``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from backend.counter import documents
from backend.counter import service as visits
from backend.counter.errors import VisitNotFound
from backend.counter.models import Visit
from backend.counter.schemas import SignatureWait, Signed, TabletStatus, TabletView, TabletVisit
from backend.counter.states import ON_TABLET, VisitStatus
from backend.guidance import service as guidance_service
from backend.guidance.translations import resident_language
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter
from backend.platform.access import Principal
from backend.platform.agentlink import service as agent_service
from backend.platform.agentlink.hub import get_hub
from backend.platform.agentlink.models import JobKind
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from contracts import Signature

TABLET_PRESENCE_SECONDS = 10.0


def _counter_id(principal: Principal) -> str | None:
    assert principal.device is not None
    return principal.device.counter_id


def signature_wait(session: Session, visit_id: str) -> SignatureWait:
    # Scoped to the caller's tenant like every query (session.get would reuse a cached row).
    visit = session.scalars(select(Visit).where(Visit.id == visit_id)).one_or_none()
    if visit is None:
        raise VisitNotFound()
    if visit.counter_id is None:
        return SignatureWait(status=visit.status, tablet=TabletStatus(paired=False, online=False))
    return SignatureWait(status=visit.status, tablet=tablet_status(session, visit.counter_id))


def tablet_status(session: Session, counter_id: str) -> TabletStatus:
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


def _latest_visit(session: Session, counter_id: str | None) -> Visit | None:
    """The counter's latest open visit with its members, in one statement (polled every
    second by the tablet)."""
    latest = (
        select(Visit.id)
        .where(Visit.counter_id == counter_id, Visit.status != VisitStatus.CLOSED)
        .order_by(Visit.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(Visit).where(Visit.id == latest).options(joinedload(Visit.members))
    return session.scalars(query).unique().one_or_none()


def current_view(session: Session, principal: Principal, lang: str | None = None) -> TabletView:
    """What the tablet shows now: a PIN pad, the data to confirm and sign, or a welcome; with
    ``lang``, the visit's procedures in the resident's language beside the Japanese."""
    counter_id = _counter_id(principal)
    counter = session.get(Counter, counter_id) if counter_id else None
    hub = get_hub()
    pin_job, latest_read = agent_service.pin_job_and_latest(session, counter_id, JobKind.READ_CARD)
    visit = _latest_visit(session, counter_id)
    shown = None
    if visit is not None and visit.status in ON_TABLET:
        prepared = documents.prepare(session, visit)
        shown = TabletVisit(
            id=visit.id,
            status=visit.status,
            record=prepared.record.to_json_dict(),
            forms=documents.form_titles(prepared.forms),
            procedures=guidance_service.localized(session, prepared.guidance, lang).procedures
            if resident_language(lang) not in (None, "ja")
            else None,
        )
    pin_request = agent_service.job_read(session, hub, pin_job) if pin_job else None
    if latest_read is None:
        card_read = None
    elif latest_read is pin_job:  # the read waiting for this PIN: read once
        card_read = pin_request
    else:
        card_read = agent_service.job_read(session, hub, latest_read)
    return TabletView(
        counter=counter.name if counter else None,
        visit=shown,
        pin_request=pin_request,
        card_read=card_read,
        resident_lang=visit.resident_lang if visit else None,
        visit_id=visit.id if visit else None,
    )


def sign(session: Session, visit_id: str, signature: Signature, principal: Principal) -> Signed:
    """The one signature: applied to every form of the visit, bound to each document's hash."""
    visit = visits.get_visit(session, visit_id)
    if visit.counter_id != _counter_id(principal):
        raise VisitNotFound()
    assert principal.device is not None
    stored = documents.sign(session, visit, signature, device=principal.device.name)
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="visit.signed",
        actor=principal.actor,
        visit_id=visit.id,
        detail={"documents": ",".join(d.id for d in stored)},
    )
    return Signed(documents=len(stored), forms=[d.form for d in stored])
