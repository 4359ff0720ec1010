"""The visit as the API shows it: rows of the counter turned into ``VisitRead`` and friends."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.models import HouseholdMember, Visit
from backend.counter.schemas import CARD_FIELDS, MemberRead, VisitRead, VisitSummary
from contracts import Applicant


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


def visit_summary(session: Session, visit: Visit) -> VisitSummary:
    return VisitSummary(
        id=visit.id,
        status=visit.status,
        counter_id=visit.counter_id,
        ticket_number=service.ticket_number(session, visit),
        event=visit.event,
        members=len(visit.members),
        created_at=visit.created_at,
    )
