"""``/api/v1/visits``: the visit at the counter, its members, its record and its journey."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.schemas import (
    Answers,
    Journey,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    VisitCreate,
    VisitRead,
    VisitSummary,
    VisitUpdate,
)
from backend.counter.views import member_read, visit_read, visit_summary
from backend.platform.access import Permission, Principal, hot_route, require, run_authorized
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/visits", tags=["visits"])

Reader = Annotated[Principal, Depends(require(Permission.VISIT_READ))]
Writer = Annotated[Principal, Depends(require(Permission.VISIT_WRITE))]


@router.post("", response_model=VisitRead, status_code=201)
def open_visit(body: VisitCreate, principal: Writer, session: SessionDep) -> VisitRead:
    visit = service.open_visit(
        session,
        tenant_id=principal.tenant_id,
        ticket_id=body.ticket_id,
        counter_id=body.counter_id,
        actor=principal.actor,
    )
    return visit_read(session, visit)


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

    return await run_authorized(request, Permission.VISIT_READ, view)


@router.patch("/{visit_id}", response_model=VisitRead)
def update_visit(
    visit_id: str, body: VisitUpdate, principal: Writer, session: SessionDep
) -> VisitRead:
    return visit_read(session, service.update_visit(session, visit_id, body))


@router.post("/{visit_id}/answers", response_model=VisitRead)
def answer_questions(
    visit_id: str, body: Answers, principal: Writer, session: SessionDep
) -> VisitRead:
    """Answers to the guidance's open questions, keyed by the question ``id`` as returned
    (``members.1.nationality`` is member 1's nationality; never prefixed again)."""
    return visit_read(session, service.answer_questions(session, visit_id, body.answers))


@router.post("/{visit_id}/members", response_model=MemberRead, status_code=201)
def add_member(
    visit_id: str, body: MemberCreate, principal: Writer, session: SessionDep
) -> MemberRead:
    return member_read(service.add_staff_member(session, visit_id, body))


@router.patch("/{visit_id}/members/{member_id}", response_model=MemberRead)
def update_member(
    visit_id: str, member_id: str, body: MemberUpdate, principal: Writer, session: SessionDep
) -> MemberRead:
    return member_read(service.update_member(session, visit_id, member_id, body))


@router.delete("/{visit_id}/members/{member_id}", status_code=204)
def remove_member(
    visit_id: str, member_id: str, principal: Writer, session: SessionDep
) -> Response:
    service.remove_member(session, visit_id, member_id)
    return Response(status_code=204)


@router.get("/{visit_id}/record")
def get_record(visit_id: str, principal: Reader, session: SessionDep) -> dict[str, object]:
    """The canonical visit record (``madoguchi.visit/1``), as the forms and back office get it."""
    return service.visit_record(session, visit_id, principal).to_json_dict()


@router.get("/{visit_id}/journey", response_model=Journey)
def get_journey(visit_id: str, principal: Reader, session: SessionDep) -> Journey:
    return service.journey(session, visit_id)


@router.post("/{visit_id}/close", response_model=VisitRead)
def close_visit(visit_id: str, principal: Writer, session: SessionDep) -> VisitRead:
    return visit_read(session, service.close_visit(session, visit_id, actor=principal.actor))
