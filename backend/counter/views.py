"""The visit as the API shows it: rows of the counter turned into ``VisitRead`` and friends."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.counter import roles, service
from backend.counter.models import HouseholdMember, Visit
from backend.counter.schemas import (
    CARD_FIELDS,
    DocumentRead,
    MemberChanged,
    MemberRead,
    VisitChanged,
    VisitRead,
    VisitSummary,
    VisitWithGuidance,
)
from contracts import GuidanceResult


def member_read(member: HouseholdMember, visit: Visit | None = None) -> MemberRead:
    """A member as the console shows it; with ``visit``, also whether they may file."""
    return MemberRead.model_validate(_member_fields(member, visit))


def member_changed(
    session: Session, visit: Visit, member: HouseholdMember, guidance: GuidanceResult | None
) -> MemberChanged:
    """A member route's answer: the member, the whole visit and its guidance."""
    return MemberChanged.model_validate(
        {
            **_member_fields(member, visit),
            "visit": visit_read(session, visit),
            "guidance": guidance,
        }
    )


def _member_fields(member: HouseholdMember, visit: Visit | None) -> dict[str, object]:
    attributes = {
        k: v for k, v in (member.attributes or {}).items() if k in service.ATTRIBUTE_FIELDS
    }
    return {
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
        "field_sources": (member.attributes or {}).get("field_sources") or {},
        "core_differences": (member.attributes or {}).get("core_differences") or [],
        "read_only_fields": list(CARD_FIELDS) if member.source == "card" else [],
        "may_file": roles.may_file(visit, member) if visit else True,
        "newborn": roles.is_newborn(visit, member) if visit else False,
        **attributes,
    }


def visit_read(session: Session, visit: Visit) -> VisitRead:
    return VisitRead(**_visit_fields(session, visit))


def visit_changed(session: Session, visit: Visit, guidance: GuidanceResult | None) -> VisitChanged:
    """A visit change's answer: the visit as ``visit_read`` shows it, and its guidance."""
    return VisitChanged(**_visit_fields(session, visit), guidance=guidance)


def visit_with_guidance(
    session: Session,
    visit: Visit,
    guidance: GuidanceResult | None,
    documents: list[DocumentRead] | None,
) -> VisitWithGuidance:
    """``visit_changed``, with the visit's stored documents when asked for (else None)."""
    fields = _visit_fields(session, visit)
    return VisitWithGuidance(**fields, guidance=guidance, documents=documents)


def _visit_fields(session: Session, visit: Visit) -> dict[str, Any]:
    stored = roles.stored_roles(visit)
    return dict(
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
        household_head=roles.household_head_name(visit),
        applicant=service.applicant_record(visit),
        applicant_chosen=roles.chosen_filer(visit) is not None or bool(visit.applicant_name),
        representative=stored.get("representative"),
        new_household_head=stored.get("new_household_head"),
        unresolved=stored.get("unresolved", []),
        facts=dict(visit.facts or {}),
        certificates=list(visit.certificates or []),
        members=[member_read(m, visit) for m in visit.members],
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
