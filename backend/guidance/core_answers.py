"""Answers the municipality already holds, read from the core system instead of asked.

Who is on 国保, who has a 介護認定, who holds a 障害者手帳, who receives 児童手当: for each member
with a 住民票コード, what the core system records fills what the visit does not know yet, marked
``core`` in ``Member.field_sources`` or ``VisitRecord.fact_sources``. A value the clerk already
entered is never overwritten. Without a core system (or when it does not answer) nothing is
filled and the engine asks as before.
"""

from __future__ import annotations

from typing import Any

from contracts import Member, VisitRecord
from contracts.visit import FactValue
from integrations.core import CoreBenefits, CoreNotFound, CoreSystem

# member record fields filled straight from the core system
MEMBER_FIELDS = ("care_certified", "disability_certificate")
# per-member facts (kept in facts as members.N.<fact>), by the core system's field
MEMBER_FACTS = {"child_allowance_recipient": "receives_child_allowance"}


def with_core_answers(visit: VisitRecord, core: CoreSystem) -> VisitRecord:
    """A copy of ``visit`` with what the core system records; CoreSystemError propagates."""
    facts = dict(visit.facts)
    fact_sources = dict(visit.fact_sources)
    members = []
    for index, member in enumerate(visit.members):
        benefits = _benefits(core, member)
        if benefits is None:
            members.append(member)
            continue
        members.append(_filled_member(member, benefits))
        for field, fact in MEMBER_FACTS.items():
            key = f"members.{index}.{fact}"
            value: FactValue = getattr(benefits, field)
            if value is not None and facts.get(key) is None:
                facts[key] = value
                fact_sources[key] = "core"
    return visit.model_copy(
        update={"members": members, "facts": facts, "fact_sources": fact_sources}
    )


def _benefits(core: CoreSystem, member: Member) -> CoreBenefits | None:
    if member.resident_code is None:
        return None
    try:
        return core.benefits(member.resident_code)
    except CoreNotFound:
        return None  # not in this municipality's records (e.g. moving in): ask


def _filled_member(member: Member, benefits: CoreBenefits) -> Member:
    update: dict[str, Any] = {}
    for name in MEMBER_FIELDS:
        value = getattr(benefits, name)
        if value is not None and getattr(member, name) is None:
            update[name] = value
    if benefits.national_health and member.insurance is None:
        update["insurance"] = "national_health"
    if not update:
        return member
    sources = {**member.field_sources, **dict.fromkeys(update, "core")}
    return member.model_copy(update={**update, "field_sources": sources})
