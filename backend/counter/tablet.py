"""The tablet paired with a counter: whether it is there, what it shows, the signature it sends.

The tablet sees only the visit its counter sent for confirmation (``ON_TABLET``); one function
per request of ``backend.counter.tablet_router``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, joinedload

from backend.counter import documents, prepared_cache
from backend.counter import service as visits
from backend.counter.errors import VisitNotFound
from backend.counter.models import HouseholdMember, Visit
from backend.counter.schemas import SignatureWait, Signed, TabletStatus, TabletView, TabletVisit
from backend.counter.states import ON_TABLET
from backend.counter.wake import TABLET_PRESENCE_SECONDS
from backend.guidance import service as guidance_service
from backend.guidance.models import CatalogVersion
from backend.guidance.translations import resident_language
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter, Tenant
from backend.layouts.models import FormLayoutVersion
from backend.platform import request_memo
from backend.platform.access import Principal
from backend.platform.agentlink import hooks
from backend.platform.agentlink import service as agent_service
from backend.platform.agentlink.hub import Hub, get_hub
from backend.platform.agentlink.models import AgentJob, JobKind
from backend.platform.audit import service as audit
from backend.platform.conditional import strong_etag
from backend.platform.db import utcnow
from contracts import Signature


def _counter_id(principal: Principal) -> str | None:
    assert principal.device is not None
    return principal.device.counter_id


def signature_wait(session: Session, visit_id: str) -> SignatureWait:
    return signature_wait_and_counter(session, visit_id)[0]


def signature_wait_and_counter(
    session: Session, visit_id: str
) -> tuple[SignatureWait, str | None, float | None]:
    """``signature_wait``, the visit's counter (whose key wakes a long-polled wait) and in how
    many seconds the answer goes stale by itself (``tablet_presence``)."""
    # Scoped to the caller's tenant like every query (session.get would reuse a cached row);
    # the two columns asked for, not the row (re-read at each look of a long-polled wait).
    visit = session.execute(_signature_wait_statement(), {"visit_id": visit_id}).one_or_none()
    if visit is None:
        raise VisitNotFound()
    status, counter_id = visit
    if counter_id is None:
        absent = TabletStatus(paired=False, online=False)
        return SignatureWait(status=status, tablet=absent), None, None
    tablet, stale_in = tablet_presence(session, counter_id)
    return SignatureWait(status=status, tablet=tablet), counter_id, stale_in


def tablet_status(session: Session, counter_id: str) -> TabletStatus:
    """Whether the counter's tablet is there: it polls every second or two while it runs."""
    return tablet_presence(session, counter_id)[0]


def tablet_presence(session: Session, counter_id: str) -> tuple[TabletStatus, float | None]:
    """``tablet_status``, and in how many seconds it turns offline if the tablet is not seen
    again (None while offline: only a sighting, which wakes the counter, changes that)."""
    tablet = session.execute(_presence_statement(), {"counter_id": counter_id}).first()
    if tablet is None:
        return TabletStatus(paired=False, online=False), None
    seen = tablet.last_seen_at
    left = None if seen is None else TABLET_PRESENCE_SECONDS - (utcnow() - seen).total_seconds()
    online = left is not None and left > 0
    return TabletStatus(paired=True, online=online), left if online else None


# The console's and the tablet's looks, built once with their id bound at each execution
# (building one and its cache key cost ≈0.1 ms at every look).


@functools.cache
def _signature_wait_statement() -> Select[str, str | None]:
    return select(Visit.status, Visit.counter_id).where(
        Visit.id == bindparam("visit_id", type_=String)
    )


@functools.cache
def _presence_statement() -> Select[dt.datetime | None]:
    return select(Device.last_seen_at).where(
        Device.kind == DeviceKind.TABLET.value,
        Device.counter_id == bindparam("counter_id", type_=String),
        Device.revoked_at.is_(None),
    )


def _visit_to_show(session: Session, counter_id: str | None) -> Visit | _OpenVisit | None:
    """The counter's open visit: loaded with its members when it is on the tablet (the view
    shows its record); else as ``view_etag`` read it in this unit of work, if it did (most of
    a visit's answers to the tablet show a welcome, a PIN pad or a card read, and loading the
    visit and its members was most of building them)."""
    known = request_memo.recall(session, (_OPEN_VISIT, counter_id))
    if known is request_memo.MISSING or (known is not None and known.status in ON_TABLET):
        return _latest_visit(session, counter_id)
    opened: _OpenVisit | None = known
    return opened


def _latest_visit(session: Session, counter_id: str | None) -> Visit | None:
    """The counter's latest open visit with its members, in one statement (polled every
    second by the tablet)."""
    if counter_id is None:
        query, params = _latest_visit_statement(None), {}
    else:
        query, params = _bound_latest_visit_statement(), {"counter_id": counter_id}
    return session.scalars(query, params).unique().one_or_none()


@functools.cache
def _bound_latest_visit_statement() -> Select[Visit]:
    """Built once, the counter bound at each execution (as ``_version_read``)."""
    return _latest_visit_statement(bindparam("counter_id", type_=String))


def _latest_visit_statement(counter_id: Any) -> Select[Visit]:
    latest = _open_visit_id(counter_id)
    return select(Visit).where(Visit.id == latest).options(joinedload(Visit.members))


def _open_visit_id(counter_id: Any) -> Any:
    """The counter's latest open visit's id, as a scalar subquery."""
    return (
        select(Visit.id)
        .where(Visit.counter_id == counter_id, Visit.is_open())
        .order_by(Visit.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


# Raise when what /tablet/current answers changes without any of its inputs (the ETag's parts
# below) changing, e.g. a new field: the tablets then fetch the new answer instead of a 304.
TABLET_VIEW_FORMAT = "1"


def view_etag(session: Session, principal: Principal, lang: str | None = None) -> str:
    """The ETag of ``current_view``, from what it is made of, in one statement instead of the
    view's five or six: the tablet asks every second.

    Read BEFORE the view is built: a change in between makes the next poll a 200 again, never
    a stale 304. Conservative: any write to a row the view is built from changes it (rows by
    ``updated_at``, which every ORM write stamps), so a change that shows nothing new only
    costs one full answer. The parts: the counter's name; the PIN request's and the latest
    card read's rows and their agent's presence (``job_read``); the counter's open visit (row,
    members' count and latest stamp); and with the visit on the tablet what its record,
    guidance and forms are also built from (``prepared_cache.visit_state``: the tenant, its
    catalog and layouts, today's date there, the layouts on disk) and the resident's language.
    """
    counter_id = _counter_id(principal)
    # On the unit's connection: a Core statement needs none of the ORM's execution (its
    # compile state, events and result processing were most of a 304's cost).
    read = session.connection().execute(*_version_read(counter_id, principal.tenant_id)).all()
    # The tenant's rows make the key of the visit's preparation: ``current_view`` (and the
    # ETag below) take them from here rather than another statement.
    tenant = _remember_tenant_state(session, principal.tenant_id, read)
    rows = _shown_parts([row for row in read if row[0] not in _TENANT_KINDS])
    # The view names the counter: it takes the name read here rather than the row again.
    names = [row[2] for row in rows if row[0] == "counter"]
    request_memo.remember(session, (_COUNTER_NAME, counter_id), names[0] if names else None)
    request_memo.remember(session, (_OPEN_VISIT, counter_id), _open_visit_of(read))
    parts = [TABLET_VIEW_FORMAT, repr(rows)]
    hub = get_hub()
    for kind, device_id, *_ in rows:
        if kind == "job":
            parts.append(f"{device_id}:{_agent_online(session, hub, device_id)}")
    visit = next((row for row in rows if row[0] == "visit"), None)
    if visit is not None and visit[2].split(":")[0] in ON_TABLET:
        if tenant is not None:
            timezone, stamp = tenant
            parts += [repr(stamp), str(visits.local_today_in(timezone))]
        parts += [repr(prepared_cache.layouts_state()), resident_language(lang) or ""]
    return strong_etag(*parts)


_COUNTER_NAME = "tablet_counter_name"
_OPEN_VISIT = "tablet_open_visit"


@dataclass(frozen=True)
class _OpenVisit:
    """What the version statement read of the counter's open visit: all the view shows of a
    visit that is still with the clerk (its id and language), and whether it is on the tablet."""

    id: str
    status: str
    resident_lang: str | None


def _open_visit_of(read: Sequence[Any]) -> _OpenVisit | None:
    row = next((row for row in read if row[0] == "visit"), None)
    if row is None:
        return None
    status, lang = row[2].split(":", 1)
    return _OpenVisit(id=row[1], status=status, resident_lang=lang or None)


_TENANT_KINDS = frozenset({"tenant", "catalog", "layout"})


def _remember_tenant_state(
    session: Session, tenant_id: str, rows: Sequence[Any]
) -> tuple[str, Hashable] | None:
    """``prepared_cache.tenant_state`` from the version statement's tenant rows (see
    ``_version_statement``), remembered for this unit of work; None without the tenant."""
    tenant = next((row for row in rows if row[0] == "tenant"), None)
    if tenant is None:
        request_memo.remember(session, ("tenant_state", tenant_id), None)
        return None
    catalogs = sorted((row[1], *row[2].split(":", 1)) for row in rows if row[0] == "catalog")
    catalog = (catalogs[0][0], int(catalogs[0][1]), catalogs[0][2]) if catalogs else None
    layouts = [(*row[2].rsplit(":", 1), row[1]) for row in rows if row[0] == "layout"]
    return prepared_cache.remember_tenant_state(
        session,
        tenant_id,
        tenant[2],
        tenant[3],
        catalog,
        [(form, layout_id, digest) for form, digest, layout_id in layouts],
    )


def _counter_name(session: Session, counter_id: str | None) -> str | None:
    """The counter's name: as ``view_etag`` read it in this unit of work, else its row."""
    if counter_id is None:
        return None
    name = request_memo.recall(session, (_COUNTER_NAME, counter_id))
    if name is not request_memo.MISSING:
        return name
    counter = session.get(Counter, counter_id)
    return counter.name if counter else None


def _shown_parts(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The version rows in a stable order, without what the tablet does not show: while the
    open visit is still with the clerk (not on the tablet) its view is a welcome that names only
    the visit and its language, so the clerk's every change does not make the tablet fetch it."""
    visit = next((row for row in rows if row[0] == "visit"), None)
    with_clerk = visit is not None and visit[2].split(":")[0] not in ON_TABLET
    kept = [
        tuple(row) if not (with_clerk and row[0] == "visit") else (*row[:3], "")
        for row in rows
        if not (with_clerk and row[0] == "members")
    ]
    return sorted(kept, key=repr)  # the union's rows come in any order


def _version_read(counter_id: str | None, tenant_id: str) -> tuple[CompoundSelect, dict[str, str]]:
    """``_version_statement`` and its parameters: built once, with the counter and the tenant
    bound at each execution (building the seven SELECTs and their cache key took more CPU
    than the rest of a 304). Without a counter, ``IS NULL`` (as the view's own queries)."""
    if counter_id is None:
        return _version_statement(None, tenant_id), {}
    return _bound_version_statement(), {"counter_id": counter_id, "tenant_id": tenant_id}


@functools.cache
def _bound_version_statement() -> CompoundSelect:
    return _version_statement(
        bindparam("counter_id", type_=String), bindparam("tenant_id", type_=String)
    )


def _version_statement(counter_id: Any, tenant_id: Any) -> CompoundSelect:
    """One row per thing ``current_view`` shows, as (kind, id or device, state, stamp): the
    statement ``view_etag`` reads. With them, what the visit's preparation is keyed by
    (``prepared_cache.tenant_state``): the tenant's row, its active catalog and layouts."""
    pin_job, latest_read = agent_service.pin_and_latest_ids(counter_id, JobKind.READ_CARD)
    open_visit = _open_visit_id(counter_id)
    return union_all(
        # First: the union's columns take its types (the stamps are time stamps, as loaded).
        select(_text("tenant"), Tenant.id, Tenant.timezone, Tenant.updated_at).where(
            Tenant.id == tenant_id
        ),
        # (kind, id, "number:digest"); (kind, id, "form:digest")
        select(
            _text("catalog"),
            CatalogVersion.id,
            cast(CatalogVersion.number, String) + ":" + CatalogVersion.digest,
            null(),
        ).where(CatalogVersion.tenant_id == tenant_id, CatalogVersion.active.is_(True)),
        select(
            _text("layout"),
            FormLayoutVersion.id,
            FormLayoutVersion.form + ":" + FormLayoutVersion.digest,
            null(),
        ).where(FormLayoutVersion.tenant_id == tenant_id, FormLayoutVersion.active.is_(True)),
        select(_text("counter"), Counter.id, Counter.name, null()).where(Counter.id == counter_id),
        # (kind, the agent's device for _agent_online, the job's id and status, its stamp)
        select(
            _text("job"),
            AgentJob.device_id,
            AgentJob.id + ":" + AgentJob.status,
            AgentJob.updated_at,
        ).where(AgentJob.id.in_([pin_job, latest_read])),
        # (kind, id, status and the resident's language, stamp)
        select(
            _text("visit"),
            Visit.id,
            Visit.status + ":" + func.coalesce(Visit.resident_lang, ""),
            Visit.updated_at,
        ).where(Visit.id == open_visit),
        select(
            _text("members"),
            _text(""),
            cast(func.count(HouseholdMember.id), String),
            func.max(HouseholdMember.updated_at),
        ).where(HouseholdMember.visit_id == open_visit),
    )


def _text(value: str) -> Any:
    return literal(value, String)


def _agent_online(session: Session, hub: Hub, device_id: str) -> bool:
    """``job_read``'s ``agent_online``, without reading the device when it is connected here."""
    if hub.connected(device_id):
        return True
    device = hooks.devices().get(session, device_id)
    return device is not None and hub.is_online(session, device)


def current_view(session: Session, principal: Principal, lang: str | None = None) -> TabletView:
    """What the tablet shows now: a PIN pad, the data to confirm and sign, or a welcome; with
    ``lang``, the visit's procedures in the resident's language beside the Japanese."""
    counter_id = _counter_id(principal)
    counter = _counter_name(session, counter_id)
    hub = get_hub()
    pin_job, latest_read = agent_service.pin_job_and_latest(session, counter_id, JobKind.READ_CARD)
    visit = _visit_to_show(session, counter_id)
    shown = None
    if isinstance(visit, Visit) and visit.status in ON_TABLET:
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
        counter=counter,
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
