"""Pre-entry and reservations over HTTP.

``/api/v1/public/{tenant_code}/…`` is the resident's page: no login, scoped to the municipality
of the code, refused when it has not turned the service on, public writes counted per client
address. Nothing comes back but what the resident sent and the catalog's guidance. The staff
routes (a clerk opening a visit from a QR, the day's reservations, the admin's slots) and the
ticket machine's check-in use the usual permissions.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from backend.counter.schemas import VisitRead
from backend.counter.views import visit_read
from backend.identity.tenants.models import Tenant
from backend.identity.throttle import FailureWindow, client_address
from backend.platform.access import (
    NOT_SENT,
    Permission,
    Principal,
    body_checked_later,
    checked,
    hot_route,
    require,
    run_authorized_then,
)
from backend.platform.deps import SessionDep
from backend.queue.schemas import IssuedTicket, PrintResult, ResidentLanguage
from backend.queue.screens import TicketToPrint, print_issued
from backend.residents import preentry, reservations, service, slips
from backend.residents.errors import ServiceOff, TooManyRequests
from backend.residents.schemas import (
    ApplyPreEntry,
    AreaChoice,
    CheckIn,
    Lang,
    PreEntryCreate,
    PreEntryIssued,
    PublicGuidance,
    PublicSetup,
    QrSlipPrint,
    ReservationCreate,
    ReservationIssued,
    ReservationRead,
    ResidentAnswers,
    ResidentLinks,
    ServiceSettings,
    SlotsCreate,
    SlotsCreated,
    SlotView,
)

router = APIRouter(prefix="/api/v1", tags=["residents"])

TenantCode = Annotated[str, Query(pattern=r"^\d{6}$")]
Writer = Annotated[Principal, Depends(require(Permission.VISIT_WRITE))]
Booker = Annotated[Principal, Depends(require(Permission.RESERVATION_BOOK))]
Manager = Annotated[Principal, Depends(require(Permission.RESERVATION_MANAGE))]
Issuer = Annotated[Principal, Depends(require(Permission.TICKET_ISSUE))]

# Guidance is computed, not stored: a page asks it after each answer, so the limit is wider.
guidance_reads = FailureWindow("resident_guide", limit=600, window=3600.0)


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"


def _tenant(session: SessionDep, code: str, kind: service.Service) -> Tenant:
    if not (len(code) == 6 and code.isdigit()):
        raise ServiceOff()
    return service.public_tenant(session, code, kind)


# --- public: the resident's page ----------------------------------------------------------


@router.get("/public/{tenant_code}/setup", response_model=PublicSetup)
def public_setup(
    tenant_code: str, session: SessionDep, response: Response, lang: Lang = "ja"
) -> PublicSetup:
    """What the page offers in this municipality (404 when neither service is on)."""
    _no_store(response)
    try:
        tenant = _tenant(session, tenant_code, "preentry")
    except ServiceOff:
        tenant = _tenant(session, tenant_code, "reservations")
    switches = service.settings_of(session, tenant.id)
    return PublicSetup(
        tenant_code=tenant.code,
        tenant_name=tenant.name,
        preentry=switches.preentry_enabled,
        reservations=switches.reservations_enabled,
        retention_days=switches.preentry_retention_days,
        events=service.event_choices(lang),
        certificates=service.certificate_choices(lang),
    )


@router.get("/public/{tenant_code}/areas", response_model=list[AreaChoice])
def public_areas(tenant_code: str, session: SessionDep, q: str = "") -> list[AreaChoice]:
    """The municipality's 町字, for the new address."""
    return preentry.areas(session, _tenant(session, tenant_code, "preentry"), q[:40])


@router.post("/public/{tenant_code}/guidance", response_model=PublicGuidance)
def public_guidance(
    tenant_code: str, body: ResidentAnswers, request: Request, session: SessionDep
) -> PublicGuidance:
    """The procedures, counters, items and fees for what was typed (nothing is stored)."""
    tenant = _tenant(session, tenant_code, "preentry")
    address = client_address(request)
    if guidance_reads.blocked(session, address):
        raise TooManyRequests()
    guidance_reads.fail(session, address)
    return preentry.guide(session, tenant, body)


@router.post("/public/{tenant_code}/preentries", response_model=PreEntryIssued, status_code=201)
def public_preentry(
    tenant_code: str,
    body: PreEntryCreate,
    request: Request,
    session: SessionDep,
    response: Response,
) -> PreEntryIssued:
    """Store the pre-entry (encrypted, one use, kept at most the municipality's days)."""
    _no_store(response)
    tenant = _tenant(session, tenant_code, "preentry")
    service.count_public_write(session, client_address(request))
    return preentry.create(session, tenant, body)


@router.get("/public/{tenant_code}/slots", response_model=list[SlotView])
def public_slots(
    tenant_code: str, session: SessionDep, lang: Lang = "ja", purpose: str | None = None
) -> list[SlotView]:
    _tenant(session, tenant_code, "reservations")
    return reservations.list_slots(session, lang=lang, purpose=purpose)


@router.post(
    "/public/{tenant_code}/reservations", response_model=ReservationIssued, status_code=201
)
def public_book(
    tenant_code: str,
    body: ReservationCreate,
    request: Request,
    session: SessionDep,
    response: Response,
) -> ReservationIssued:
    _no_store(response)
    tenant = _tenant(session, tenant_code, "reservations")
    service.refuse_twelve_digits(body.phone)
    service.count_public_write(session, client_address(request))
    return reservations.book(session, tenant, body, booked_by="resident")


@router.post("/public/{tenant_code}/reservations/cancel", response_model=ReservationRead)
def public_cancel(tenant_code: str, body: CheckIn, session: SessionDep) -> ReservationRead:
    """Cancel with the reservation's QR code (the number alone is not enough)."""
    _tenant(session, tenant_code, "reservations")
    cancelled = reservations.cancel(session, code=body.code, actor="resident")
    return cancelled.model_copy(update={"phone": None, "booked_by": "resident"})


# --- the counter: a visit from a pre-entry, the day's reservations ------------------------


@router.post("/visits/{visit_id}/preentry", response_model=VisitRead)
def apply_preentry(
    visit_id: str, body: ApplyPreEntry, principal: Writer, session: SessionDep
) -> VisitRead:
    """Fill the visit from the scanned pre-entry code (once; 409 used, 410 expired)."""
    visit = preentry.apply(session, visit_id, body.code, actor=principal.actor)
    return visit_read(session, visit)


def _principal_tenant(session: SessionDep, principal: Principal) -> Tenant:
    tenant = session.get(Tenant, principal.tenant_id)
    assert tenant is not None
    return tenant


@router.get("/reservations", response_model=list[ReservationRead])
def day_reservations(
    principal: Booker, session: SessionDep, day: dt.date | None = None
) -> list[ReservationRead]:
    """The day's reservations (today by default), no-shows marked."""
    return reservations.day_list(session, _principal_tenant(session, principal), day)


@router.get("/reservation-slots", response_model=list[SlotView])
def staff_slots(
    principal: Booker, session: SessionDep, purpose: str | None = None
) -> list[SlotView]:
    return reservations.list_slots(session, purpose=purpose)


@router.post("/reservations", response_model=ReservationIssued, status_code=201)
def staff_book(
    body: ReservationCreate, principal: Booker, session: SessionDep
) -> ReservationIssued:
    """A booking taken on the phone by a clerk."""
    service.refuse_twelve_digits(body.phone)
    tenant = _principal_tenant(session, principal)
    return reservations.book(session, tenant, body, booked_by=principal.actor)


@router.post("/reservations/{reservation_id}/cancel", response_model=ReservationRead)
def staff_cancel(reservation_id: str, principal: Booker, session: SessionDep) -> ReservationRead:
    return reservations.cancel(session, reservation_id=reservation_id, actor=principal.actor)


# --- admin: slots and switches ------------------------------------------------------------


@router.post("/reservation-slots", response_model=SlotsCreated, status_code=201)
def create_slots(body: SlotsCreate, principal: Manager, session: SessionDep) -> SlotsCreated:
    created = reservations.create_slots(session, _principal_tenant(session, principal), body)
    return SlotsCreated(created=created)


@router.delete("/reservation-slots/{slot_id}", status_code=204)
def delete_slot(slot_id: str, principal: Manager, session: SessionDep) -> Response:
    reservations.delete_slot(session, slot_id)
    return Response(status_code=204)


@router.get("/resident-services", response_model=ServiceSettings)
def read_settings(principal: Manager, session: SessionDep) -> ServiceSettings:
    return ServiceSettings.model_validate(service.settings_of(session, principal.tenant_id))


@router.put("/resident-services", response_model=ServiceSettings)
def write_settings(
    body: ServiceSettings, principal: Manager, session: SessionDep
) -> ServiceSettings:
    return service.save_settings(session, principal.tenant_id, body)


# --- the ticket machine -------------------------------------------------------------------


@router.post("/ticket-machine/check-in", response_model=IssuedTicket, status_code=201)
@hot_route(Permission.TICKET_ISSUE)
async def check_in(
    request: Request, body: Annotated[object, body_checked_later(CheckIn)] = NOT_SENT
) -> IssuedTicket:
    """A reservation's QR or number becomes a ticket (called first by the default rule)."""

    def checked_in(session: Session, principal: Principal) -> TicketToPrint:
        return reservations.check_in(session, principal, checked(CheckIn, body).code)

    # Printed once committed (queue.screens.print_issued).
    return await run_authorized_then(request, checked_in, print_issued)


@router.get("/ticket-machine/resident-links", response_model=ResidentLinks)
def resident_links(
    principal: Issuer, session: SessionDep, lang: ResidentLanguage = "ja"
) -> ResidentLinks:
    """The pre-entry page of this municipality, as a QR to show or print; the page opens in
    ``lang`` (the language chosen on the machine)."""
    tenant = _principal_tenant(session, principal)
    switches = service.settings_of(session, tenant.id)
    url = slips.page_url(tenant, lang)
    return ResidentLinks(
        preentry=switches.preentry_enabled,
        reservations=switches.reservations_enabled,
        url=url,
        qr_svg=service.qr_svg(url),
    )


@router.post("/ticket-machine/resident-links/print", response_model=PrintResult)
def print_resident_link(body: QrSlipPrint, principal: Issuer, session: SessionDep) -> PrintResult:
    """Print the pre-entry page's QR (手続きナビ), or with ``code`` the QR of a pre-entry the
    resident finished on the machine, with a few words in ``lang``. Not printed (no printer,
    paper out) is an answer, not an error: the screen keeps showing the QR."""
    tenant = _principal_tenant(session, principal)
    return slips.print_qr_slip(session, principal, tenant, body.lang, body.code)
