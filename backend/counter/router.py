"""``/api/v1/visits``: the visit at the counter, its members, its record and its journey."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.models import HouseholdMember, Visit
from backend.counter.schemas import (
    CARD_FIELDS,
    Journey,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    VisitCreate,
    VisitRead,
    VisitSummary,
    VisitUpdate,
)
from backend.platform.access import Permission, Principal, require
from backend.platform.audit import service as audit
from backend.platform.deps import SessionDep
from contracts import Applicant

router = APIRouter(prefix="/api/v1/visits", tags=["visits"])

Reader = Annotated[Principal, Depends(require(Permission.VISIT_READ))]
Writer = Annotated[Principal, Depends(require(Permission.VISIT_WRITE))]


def member_read(member: HouseholdMember) -> MemberRead:
    attributes = {
        k: v for k, v in (member.attributes or {}).items() if k in service.ATTRIBUTE_FIELDS
    }
    return MemberRead.model_validate(
        {
            "id": member.id,
            "position": member.position,
            "name": member.name,
            "kana": member.kana,
            "birth_date": member.birth_date,
            "sex": member.sex,
            "relationship": member.relationship_to_head,
            "nationality": member.nationality,
            "address": member.address,
            "source": member.source,
            "read_only_fields": list(CARD_FIELDS) if member.source == "card" else [],
            **attributes,
        }
    )


def visit_read(session: Session, visit: Visit) -> VisitRead:
    applicant = None
    if visit.applicant_name:
        applicant = Applicant(
            name=visit.applicant_name,
            relationship=visit.applicant_relationship,
            phone=visit.applicant_phone,
        )
    return VisitRead(
        id=visit.id,
        status=visit.status,
        counter_id=visit.counter_id,
        ticket_id=visit.ticket_id,
        ticket_number=service.ticket_number(session, visit),
        event=visit.event,
        event_date=visit.event_date,
        filed_on=visit.filed_on,
        previous_address=visit.previous_address,
        new_address=visit.new_address,
        household_head=visit.household_head,
        applicant=applicant,
        facts=dict(visit.facts or {}),
        certificates=list(visit.certificates or []),
        members=[member_read(m) for m in visit.members],
        created_at=visit.created_at,
        closed_at=visit.closed_at,
    )


def _audit(
    session: Session, principal: Principal, action: str, visit: Visit, **detail: str
) -> None:
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action=action,
        actor=principal.actor,
        visit_id=visit.id,
        detail=dict(detail),
    )


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
    return [
        VisitSummary(
            id=v.id,
            status=v.status,
            counter_id=v.counter_id,
            ticket_number=service.ticket_number(session, v),
            event=v.event,
            members=len(v.members),
            created_at=v.created_at,
        )
        for v in visits
    ]


@router.get("/{visit_id}", response_model=VisitRead)
def get_visit(visit_id: str, principal: Reader, session: SessionDep) -> VisitRead:
    visit = service.get_visit(session, visit_id)
    _audit(session, principal, "visit.view", visit)
    return visit_read(session, visit)


@router.patch("/{visit_id}", response_model=VisitRead)
def update_visit(
    visit_id: str, body: VisitUpdate, principal: Writer, session: SessionDep
) -> VisitRead:
    visit = service.update_visit(session, service.get_visit(session, visit_id), body)
    return visit_read(session, visit)


@router.post("/{visit_id}/members", response_model=MemberRead, status_code=201)
def add_member(
    visit_id: str, body: MemberCreate, principal: Writer, session: SessionDep
) -> MemberRead:
    visit = service.get_visit(session, visit_id)
    return member_read(service.add_staff_member(session, visit, body))


@router.patch("/{visit_id}/members/{member_id}", response_model=MemberRead)
def update_member(
    visit_id: str, member_id: str, body: MemberUpdate, principal: Writer, session: SessionDep
) -> MemberRead:
    visit = service.get_visit(session, visit_id)
    member = service.get_member(visit, member_id)
    return member_read(service.update_member(session, visit, member, body))


@router.delete("/{visit_id}/members/{member_id}", status_code=204)
def remove_member(
    visit_id: str, member_id: str, principal: Writer, session: SessionDep
) -> Response:
    visit = service.get_visit(session, visit_id)
    service.remove_member(session, visit, service.get_member(visit, member_id))
    return Response(status_code=204)


@router.get("/{visit_id}/record")
def get_record(visit_id: str, principal: Reader, session: SessionDep) -> dict[str, object]:
    """The canonical visit record (``madoguchi.visit/1``), as the forms and back office get it."""
    visit = service.get_visit(session, visit_id)
    record = service.build_record(session, visit)
    _audit(session, principal, "visit.record.view", visit)
    return record.to_json_dict()


@router.get("/{visit_id}/journey", response_model=Journey)
def get_journey(visit_id: str, principal: Reader, session: SessionDep) -> Journey:
    return service.journey(session, service.get_visit(session, visit_id))


@router.post("/{visit_id}/close", response_model=VisitRead)
def close_visit(visit_id: str, principal: Writer, session: SessionDep) -> VisitRead:
    visit = service.close_visit(
        session, service.get_visit(session, visit_id), actor=principal.actor
    )
    return visit_read(session, visit)
