"""The tablet paired with a counter: whether it is there, what it shows, the signature it sends.

The tablet sees only the visit its counter sent for confirmation (``ON_TABLET``); one function
per request of ``backend.counter.tablet_router``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from backend.counter import documents, prepared_cache
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
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.audit import service as audit
from backend.platform.conditional import strong_etag
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


# Raise when what /tablet/current answers changes shape or content without any of its inputs
# (the ETag's parts below) changing: the tablets then fetch the new answer instead of a 304.
TABLET_VIEW_FORMAT = "1"


@dataclass(frozen=True)
class PolledView:
    """The tablet's answer as its ETag (cheap: from what the answer is made of) and the answer
    itself, built only when the tablet does not hold it already."""

    etag: str
    build: Callable[[], TabletView]


def current_view(session: Session, principal: Principal, lang: str | None = None) -> TabletView:
    """What the tablet shows now: a PIN pad, the data to confirm and sign, or a welcome; with
    ``lang``, the visit's procedures in the resident's language beside the Japanese."""
    return polled_view(session, principal, lang).build()


def polled_view(session: Session, principal: Principal, lang: str | None = None) -> PolledView:
    """``current_view`` for the tablet's poll: its ETag first.

    The ETag covers everything the answer depends on: the counter's name; the PIN request and
    the latest card read exactly as sent (cheap, and the agent's presence in them changes with
    time); and for a visit on the tablet its id, status and ``prepared_cache.visit_state`` (the
    key the record, the guidance and the forms are cached under: the visit's content, its
    members, the tenant, its active catalog and layouts, the filing date), the forms' titles
    and the resident's language. The record, the procedures and the JSON are built only for a
    200."""
    counter_id = _counter_id(principal)
    counter = session.get(Counter, counter_id) if counter_id else None
    pin_request, card_read = _card_jobs(session, counter_id)
    visit = _latest_visit(session, counter_id)
    parts = [
        TABLET_VIEW_FORMAT,
        counter.name if counter else "",
        pin_request.model_dump_json() if pin_request else "",
        card_read.model_dump_json() if card_read else "",
    ]
    visit_part: Callable[[], TabletVisit] | None = None
    if visit is not None and visit.status in ON_TABLET:
        on_tablet = visit
        key = prepared_cache.visit_state(session, on_tablet)
        prepared = prepared_cache.cached(key, lambda: documents.build_prepared(session, on_tablet))
        titles = documents.form_titles(prepared.forms)

        def tablet_visit() -> TabletVisit:
            return _tablet_visit(session, on_tablet, prepared, titles, lang)

        visit_part = tablet_visit
        # No key (changes not flushed yet: never so in a GET): the visit's part is its JSON.
        version = repr(key) if key is not None else tablet_visit().model_dump_json()
        parts += [visit.id, visit.status, version, repr(titles), resident_language(lang) or ""]

    def build() -> TabletView:
        return TabletView(
            counter=counter.name if counter else None,
            visit=visit_part() if visit_part else None,
            pin_request=pin_request,
            card_read=card_read,
        )

    return PolledView(etag=strong_etag(*parts), build=build)


def _card_jobs(
    session: Session, counter_id: str | None
) -> tuple[AgentJobRead | None, AgentJobRead | None]:
    """The card read waiting for the resident's PIN, and the counter's latest card read."""
    hub = get_hub()
    pin_job, latest_read = agent_service.pin_job_and_latest(session, counter_id, JobKind.READ_CARD)
    pin_request = agent_service.job_read(session, hub, pin_job) if pin_job else None
    if latest_read is None:
        return pin_request, None
    if latest_read is pin_job:  # the read waiting for this PIN: read once
        return pin_request, pin_request
    return pin_request, agent_service.job_read(session, hub, latest_read)


def _tablet_visit(
    session: Session,
    visit: Visit,
    prepared: documents.Prepared,
    titles: list[dict[str, str]],
    lang: str | None,
) -> TabletVisit:
    return TabletVisit(
        id=visit.id,
        status=visit.status,
        record=prepared.record.to_json_dict(),
        forms=titles,
        procedures=guidance_service.localized(session, prepared.guidance, lang).procedures
        if resident_language(lang) not in (None, "ja")
        else None,
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
