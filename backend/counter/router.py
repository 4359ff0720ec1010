"""``/api/v1/visits``: the visit at the counter, its members, its record and its journey."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.documents import changed_visit_guidance, document_list
from backend.counter.models import HouseholdMember, Visit
from backend.counter.schemas import (
    Answers,
    Journey,
    MemberChanged,
    MemberCreate,
    MemberUpdate,
    VisitChanged,
    VisitCreate,
    VisitRead,
    VisitSummary,
    VisitUpdate,
    VisitWithGuidance,
)
from backend.counter.views import (
    member_changed,
    visit_changed,
    visit_read,
    visit_summary,
    visit_with_guidance,
)
from backend.platform.access import (
    NOT_SENT,
    Permission,
    Principal,
    body_checked_later,
    checked,
    checked_query,
    hot_route,
    query_checked_later,
    require,
    run_authorized,
)
from backend.platform.deps import SessionDep
from contracts import GuidanceResult

router = APIRouter(prefix="/api/v1/visits", tags=["visits"])

Reader = Annotated[Principal, Depends(require(Permission.VISIT_READ))]
WRITE = Permission.VISIT_WRITE

# The routes every visit calls are hot routes (``access.run_authorized``: one thread hand-off
# instead of four or five); their bodies are checked after the caller, as ``require`` orders it.


@router.post("", response_model=VisitRead, status_code=201)
@hot_route(WRITE)
async def open_visit(
    request: Request, body: Annotated[object, body_checked_later(VisitCreate)] = NOT_SENT
) -> VisitRead:
    def opened(session: Session, principal: Principal) -> VisitRead:
        create = checked(VisitCreate, body)
        visit = service.open_visit(
            session,
            tenant_id=principal.tenant_id,
            ticket_id=create.ticket_id,
            counter_id=create.counter_id,
            actor=principal.actor,
        )
        return visit_read(session, visit)

    return await run_authorized(request, opened)


@router.get("", response_model=list[VisitSummary])
def list_visits(
    principal: Reader,
    session: SessionDep,
    status: str | None = None,
    counter_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[VisitSummary]:
    visits = service.list_visits(session, status=status, counter_id=counter_id, limit=limit)
    return [visit_summary(session, v) for v in visits]


@router.get("/{visit_id}", response_model=VisitRead)
@hot_route(Permission.VISIT_READ)
async def get_visit(visit_id: str, request: Request) -> VisitRead:
    def view(session: Session, principal: Principal) -> VisitRead:
        return visit_read(session, service.view_visit(session, visit_id, principal))

    return await run_authorized(request, view)


_WITH_DOCUMENTS = TypeAdapter(bool)


@router.get("/{visit_id}/with-guidance", response_model=VisitWithGuidance)
@hot_route(Permission.VISIT_READ)
async def get_visit_with_guidance(
    visit_id: str,
    request: Request,
    documents: Annotated[object, query_checked_later(bool)] = False,
) -> VisitWithGuidance:
    """The visit as GET shows it (audited the same way) and its guidance as POST …/guidance
    returns it, as a change answers: what the console shows after a card read, in one request
    instead of two (null guidance before an event is chosen, or without ``guidance.use``).
    ``documents=true``: also the stored documents as GET …/documents lists them (the console
    once the resident has signed; null otherwise)."""

    def view(session: Session, principal: Principal) -> VisitWithGuidance:
        with_documents = checked_query(_WITH_DOCUMENTS, documents, "documents")
        visit = service.view_visit(session, visit_id, principal)
        listed = document_list(session, visit_id) if with_documents else None
        return visit_with_guidance(session, visit, _guidance(session, visit, principal), listed)

    return await run_authorized(request, view)


# The change routes answer with what the staff console shows next: the visit as GET shows it
# and its guidance as POST …/guidance returns it, built from the rows the change already
# loaded. Before, each change was followed by a POST guidance (and, for a member, a GET of the
# visit): two or three requests where one does.


@router.patch("/{visit_id}", response_model=VisitChanged)
@hot_route(WRITE)
async def update_visit(
    visit_id: str,
    request: Request,
    body: Annotated[object, body_checked_later(VisitUpdate)] = NOT_SENT,
) -> VisitChanged:
    def updated(session: Session, principal: Principal) -> VisitChanged:
        visit = service.update_visit(session, visit_id, checked(VisitUpdate, body))
        return visit_changed(session, visit, _guidance(session, visit, principal))

    return await run_authorized(request, updated)


@router.post("/{visit_id}/answers", response_model=VisitChanged)
@hot_route(WRITE)
async def answer_questions(
    visit_id: str, request: Request, body: Annotated[object, body_checked_later(Answers)] = NOT_SENT
) -> VisitChanged:
    """Answers to the guidance's open questions, keyed by the question ``id`` as returned
    (``members.1.nationality`` is member 1's nationality; never prefixed again)."""

    def answered(session: Session, principal: Principal) -> VisitChanged:
        visit = service.answer_questions(session, visit_id, checked(Answers, body).answers)
        return visit_changed(session, visit, _guidance(session, visit, principal))

    return await run_authorized(request, answered)


@router.post("/{visit_id}/members", response_model=MemberChanged, status_code=201)
@hot_route(WRITE)
async def add_member(
    visit_id: str,
    request: Request,
    body: Annotated[object, body_checked_later(MemberCreate)] = NOT_SENT,
) -> MemberChanged:
    def added(session: Session, principal: Principal) -> MemberChanged:
        member = service.add_staff_member(session, visit_id, checked(MemberCreate, body))
        # Appended to the visit's members, the member holds the loaded visit.
        return _member_changed(session, member.visit, member, principal)

    return await run_authorized(request, added)


@router.patch("/{visit_id}/members/{member_id}", response_model=MemberChanged)
@hot_route(WRITE)
async def update_member(
    visit_id: str,
    member_id: str,
    request: Request,
    body: Annotated[object, body_checked_later(MemberUpdate)] = NOT_SENT,
) -> MemberChanged:
    def updated(session: Session, principal: Principal) -> MemberChanged:
        visit = service.update_member(session, visit_id, member_id, checked(MemberUpdate, body))
        return _member_changed(session, visit, service.get_member(visit, member_id), principal)

    return await run_authorized(request, updated)


def _member_changed(
    session: Session, visit: Visit, member: HouseholdMember, principal: Principal
) -> MemberChanged:
    """The member, and the whole visit: a view of the visit, audited as GET audits it (the
    console read it with a GET after each member change before)."""
    service.audit_view(session, visit, principal)
    return member_changed(session, visit, member, _guidance(session, visit, principal))


def _guidance(session: Session, visit: Visit, principal: Principal) -> GuidanceResult | None:
    """None before an event is chosen (the console shows no guidance then), or for a caller
    without ``guidance.use`` (POST …/guidance would refuse them)."""
    if visit.event is None or Permission.GUIDANCE_USE not in principal.permissions:
        return None
    return changed_visit_guidance(session, visit)


@router.delete("/{visit_id}/members/{member_id}", status_code=204)
@hot_route(WRITE)
async def remove_member(visit_id: str, member_id: str, request: Request) -> Response:
    await run_authorized(
        request,
        lambda session, _principal: service.remove_member(session, visit_id, member_id),
    )
    return Response(status_code=204)


@router.get("/{visit_id}/record")
def get_record(visit_id: str, principal: Reader, session: SessionDep) -> dict[str, object]:
    """The canonical visit record (``madoguchi.visit/1``), as the forms and back office get it."""
    return service.visit_record(session, visit_id, principal).to_json_dict()


@router.get("/{visit_id}/journey", response_model=Journey)
def get_journey(visit_id: str, principal: Reader, session: SessionDep) -> Journey:
    return service.journey(session, visit_id)


@router.post("/{visit_id}/close", response_model=VisitRead)
@hot_route(WRITE)
async def close_visit(visit_id: str, request: Request) -> VisitRead:
    def closed(session: Session, principal: Principal) -> VisitRead:
        return visit_read(session, service.close_visit(session, visit_id, actor=principal.actor))

    return await run_authorized(request, closed)
