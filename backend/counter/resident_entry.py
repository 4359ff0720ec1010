"""A visit prefilled from what the resident entered before coming (``backend/residents``).

The counter owns the visit, so the pre-entry hands over plain values and this module writes
them the way the clerk's own edits are written (the same checks, the same events): members
typed by the resident get ``source: resident``; the card read still supplies the four details
of whoever holds a card. Member answers are shifted past the members already on the visit (a
card read before the scan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.models import HouseholdMember, Visit
from backend.counter.schemas import MemberCreate, VisitUpdate
from contracts.visit import Certificate

RESIDENT = "resident"
# The pre-entry page names Chinese "zh" (the catalog's name); the screens say "zh-Hans".
SCREEN_LANGUAGE = {"zh": "zh-Hans"}


@dataclass(frozen=True)
class ResidentPrefill:
    event: str
    event_date: dt.date | None = None
    phone: str | None = None
    new_address: str | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "ja"


def _shifted(answers: dict[str, Any], offset: int) -> dict[str, Any]:
    shifted: dict[str, Any] = {}
    for key, value in answers.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "members" and parts[1].isdigit():
            key = f"members.{int(parts[1]) + offset}.{parts[2]}"
        shifted[key] = value
    return shifted


def _add_member(session: Session, visit: Visit, values: dict[str, Any]) -> HouseholdMember:
    body = MemberCreate.model_validate(values)
    return service.add_staff_member(session, visit.id, body, source=RESIDENT)


def prefill_visit(session: Session, visit_id: str, prefill: ResidentPrefill) -> Visit:
    visit = service.get_visit(session, visit_id)
    service.ensure_open(visit)
    offset = len(visit.members)
    changes: dict[str, Any] = {"event": prefill.event}
    fields = ["event"]
    if prefill.event_date is not None:
        changes["event_date"] = prefill.event_date
        fields.append("event_date")
    if prefill.new_address:
        changes["new_address"] = prefill.new_address
        fields.append("new_address")
    if prefill.certificates:
        changes["certificates"] = [Certificate.model_validate(c) for c in prefill.certificates]
        fields.append("certificates")
    service.update_visit(session, visit.id, VisitUpdate.model_validate(changes))
    members = [_add_member(session, visit, m).id for m in prefill.members]
    # The tablet opens in the pre-entry's language (backend.counter.tablet).
    visit.resident_lang = SCREEN_LANGUAGE.get(prefill.lang, prefill.lang)
    if prefill.phone:
        visit.applicant_phone = prefill.phone
        fields.append("phone")
    if prefill.answers:
        service.answer_questions(session, visit.id, _shifted(prefill.answers, offset))
        fields.append("answers")
    session.flush()
    service.add_event(
        session,
        visit,
        "preentry.applied",
        {"source": RESIDENT, "fields": fields, "members": members, "lang": prefill.lang},
    )
    return service.get_visit(session, visit.id)
