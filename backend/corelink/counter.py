"""The core system at the counter: after a card read, what the municipality already records.

``match_card_members`` looks up each member read from a card and not yet matched, by name +
birth date + address (the address compared however it is written: a card's ``本町１－２－３`` is
the record's ``本町一丁目２番３号``). When nobody matches on all three, it asks by name and birth
date alone: one record found there is the same person at another address, a difference.

What the card lacks is filled (kana, 住民票コード, 続柄, 本籍・筆頭者, the household's other
members, 国保・介護認定・障害者手帳), each field marked ``core`` in the member's
``field_sources``; a value the clerk already entered is never overwritten, and the card's four
attributes are never changed. Where card and core disagree, both values are kept on the member
(``core_differences``) for the clerk to decide. For a 転入, the 転出証明書情報 sent ahead
(特例転入) fills the previous address and the members moving with the resident.

Without a core system, or when it does not answer, nothing changes and the answer says so once
(``status``), so the console shows one calm notice and the counter works as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.counter import roles
from backend.counter import service as visits
from backend.counter.models import HouseholdMember, Visit
from backend.platform.access import Principal
from backend.platform.audit import service as audit
from contracts.addresses import same_address
from integrations.core import (
    CoreBenefits,
    CoreNotFound,
    CoreResident,
    CoreSystem,
    CoreSystemError,
    MovingOutCertificate,
    ResidentQuery,
)
from integrations.core.models import HouseholdEntry

MatchStatus = Literal["matched", "not_found", "unavailable", "not_configured", "nothing_to_do"]

# The card's four attributes as the core system names them, compared per member.
COMPARED = ("name", "birth_date", "sex", "address")
# Member attributes filled from the core system's benefits (the counter's own names).
BENEFIT_FIELDS = ("care_certified", "disability_certificate")
NOTICES = {
    "not_found": "基幹システムに該当する住民の記録がありません。カードと聞き取りで続けます。",
    "unavailable": "基幹システムに接続できません。照会せずに、これまでどおり続けます。",
    "not_configured": "基幹システムが設定されていないため、照会せずに続けます。",
}


class CoreDifference(BaseModel):
    field: str = Field(description="name, birth_date, sex or address")
    card: str | None
    core: str | None


class MovingOutSummary(BaseModel):
    """転出証明書情報 as the clerk needs to see it (the rest went into the visit)."""

    from_municipality: str
    previous_address: str
    planned_date: dt.date
    members: int


class CoreMatch(BaseModel):
    status: MatchStatus
    notice: str | None = Field(default=None, description="one line for the console, or none")
    matched: int = 0
    added_members: int = 0
    filled: dict[str, list[str]] = Field(default_factory=dict, description="member id → fields")
    differences: dict[str, list[CoreDifference]] = Field(default_factory=dict)
    moving_out: MovingOutSummary | None = None


def match_card_members(
    session: Session, principal: Principal, visit_id: str, core: CoreSystem | None
) -> CoreMatch:
    """Look up the visit's card members not yet matched, and fill the visit from the core."""
    visit = visits.get_visit(session, visit_id)
    visits.ensure_open(visit)
    pending = [m for m in visit.members if m.source == "card" and not _checked(m)]
    if not pending:
        return CoreMatch(status="nothing_to_do")
    if core is None:
        return _notice("not_configured")
    result = CoreMatch(status="not_found")
    try:
        for member in pending:
            _match_one(session, visit, member, core, result)
    except CoreSystemError:
        return _notice("unavailable")  # nothing kept: the request rolls back what was filled
    if result.status == "not_found":
        result.notice = NOTICES["not_found"]
    visits.fill_defaults(visit)
    session.flush()
    visits.add_event(session, visit, "core.matched",
                     {"status": result.status, "matched": result.matched,
                      "added_members": result.added_members})  # fmt: skip
    audit.record(session, tenant_id=principal.tenant_id, action="core.counter_match",
                 actor=principal.actor, visit_id=visit.id,
                 detail={"status": result.status, "matched": str(result.matched)})  # fmt: skip
    return result


def _notice(status: MatchStatus) -> CoreMatch:
    return CoreMatch(status=status, notice=NOTICES[status])


def _checked(member: HouseholdMember) -> bool:
    return bool((member.attributes or {}).get("core_checked"))


def _match_one(
    session: Session, visit: Visit, member: HouseholdMember, core: CoreSystem, result: CoreMatch
) -> None:
    _set_attribute(member, "core_checked", True)
    found = _find(member, core)
    if found is not None:
        result.status, result.matched = "matched", result.matched + 1
        filled = _fill_member(member, _entry_of(found), found)
        _fill_benefits(member, core, filled)
        differences = _differences(member, found)
        _set_attribute(member, "core_differences", [d.model_dump() for d in differences])
        result.filled[member.id] = filled
        if differences:
            result.differences[member.id] = differences
        for entry in found.household:
            if entry.resident_code != found.resident_code:
                result.added_members += _household_member(visit, entry, found.address, core)
        return
    certificate = _moving_out(member, core)
    if certificate is not None:
        result.status, result.matched = "matched", result.matched + 1
        result.moving_out = _take_in(visit, member, certificate, result)


def _find(member: HouseholdMember, core: CoreSystem) -> CoreResident | None:
    """By name + birth date + address; failing that, one record by name and birth date."""
    if not member.birth_date or not member.address:
        return None
    query = ResidentQuery(name=member.name, birth_date=dt.date.fromisoformat(member.birth_date),
                          address=member.address)  # fmt: skip
    found = core.lookup(query)
    if len(found) == 1:
        return found[0]
    if found:
        return None  # several: not for the counter to choose
    elsewhere = core.lookup(query.model_copy(update={"match_address": False}))
    return elsewhere[0] if len(elsewhere) == 1 else None


def _moving_out(member: HouseholdMember, core: CoreSystem) -> MovingOutCertificate | None:
    if not member.birth_date:
        return None
    return core.moving_out_for(member.name, dt.date.fromisoformat(member.birth_date))


def _entry_of(resident: CoreResident) -> HouseholdEntry:
    return HouseholdEntry(name=resident.name, kana=resident.kana,
                          birth_date=resident.birth_date, sex=resident.sex,
                          relationship=resident.relationship,
                          resident_code=resident.resident_code)  # fmt: skip


def _set_attribute(member: HouseholdMember, key: str, value: Any) -> None:
    member.attributes = {**(member.attributes or {}), key: value}  # a new dict: re-encrypted


def _mark(member: HouseholdMember, fields: list[str]) -> None:
    if fields:
        sources = dict((member.attributes or {}).get("field_sources") or {})
        _set_attribute(member, "field_sources", sources | dict.fromkeys(fields, "core"))


def _fill_member(
    member: HouseholdMember,
    entry: HouseholdEntry,
    resident: CoreResident | MovingOutCertificate | None = None,
) -> list[str]:
    """What the member lacks, from the core's entry (and the resident's 本籍・筆頭者)."""
    filled = []
    for field, value in (("kana", entry.kana), ("resident_code", entry.resident_code),
                         ("relationship_to_head", entry.relationship)):  # fmt: skip
        current = getattr(member, field)
        if value and value != current and (not current or _default_head(member, field)):
            setattr(member, field, value)
            filled.append("relationship" if field == "relationship_to_head" else field)
    if resident is not None:
        attributes = dict(member.attributes or {})
        for field in ("domicile", "domicile_head"):
            value = getattr(resident, field)
            if value and not attributes.get(field):
                attributes[field] = value
                filled.append(field)
        member.attributes = attributes
        if isinstance(resident, CoreResident) and not member.nationality:
            member.nationality = resident.nationality
            filled.append("nationality")
    _mark(member, filled)
    return filled


def _default_head(member: HouseholdMember, field: str) -> bool:
    """The 世帯主 the counter assumes for the first member read (``fill_defaults``): the core
    system's 続柄 replaces it, as it would a blank."""
    return field == "relationship_to_head" and member.relationship_to_head == roles.HEAD


def _fill_benefits(member: HouseholdMember, core: CoreSystem, filled: list[str]) -> None:
    """国保・介護認定・障害者手帳 as recorded, where the clerk has not said."""
    if not member.resident_code:
        return
    try:
        benefits: CoreBenefits = core.benefits(member.resident_code)
    except CoreNotFound:
        return
    attributes = dict(member.attributes or {})
    more: list[str] = []
    for field in BENEFIT_FIELDS:
        value = getattr(benefits, field)
        if value is not None and attributes.get(field) is None:
            attributes[field], more = value, [*more, field]
    if benefits.national_health and attributes.get("insurance") is None:
        attributes["insurance"], more = "national_health", [*more, "insurance"]
    member.attributes = attributes
    _mark(member, more)
    filled.extend(more)


def _differences(member: HouseholdMember, resident: CoreResident) -> list[CoreDifference]:
    card: dict[str, str | None] = {
        "name": member.name, "birth_date": member.birth_date, "sex": member.sex,
        "address": member.address,
    }  # fmt: skip
    core: dict[str, str | None] = {
        "name": resident.name, "birth_date": resident.birth_date.isoformat(),
        "sex": resident.sex, "address": resident.address,
    }  # fmt: skip
    return [
        CoreDifference(field=field, card=card[field], core=core[field])
        for field in COMPARED
        if not _same(field, card[field] or "", core[field] or "") and card[field] and core[field]
    ]


def _same(field: str, card: str, core: str) -> bool:
    if field == "address":
        return same_address(card, core)
    if field == "name":  # a register name is never normalised; only the spaces may differ
        return card.replace("\u3000", "").replace(" ", "") == core.replace("\u3000", "").replace(
            " ", ""
        )
    return card == core


def _same_person(member: HouseholdMember, entry: HouseholdEntry) -> bool:
    if entry.resident_code and member.resident_code == entry.resident_code:
        return True
    born = entry.birth_date.isoformat() if entry.birth_date else None
    return _same("name", member.name, entry.name) and member.birth_date == born


def _household_member(
    visit: Visit, entry: HouseholdEntry, address: str | None, core: CoreSystem | None
) -> int:
    """The household member on the visit (filled where it lacks), or added with ``source:
    core`` (and, with ``core``, the benefits recorded); 1 when added."""
    for member in visit.members:
        if _same_person(member, entry):
            _fill_member(member, entry)
            return 0
    member = HouseholdMember(
        tenant_id=visit.tenant_id, visit_id=visit.id, position=visits.next_position(visit),
        name=entry.name, kana=entry.kana,
        birth_date=entry.birth_date.isoformat() if entry.birth_date else None,
        sex=entry.sex, relationship_to_head=entry.relationship, address=address,
        resident_code=entry.resident_code, source="core", attributes={"core_checked": True},
    )  # fmt: skip
    visit.members.append(member)
    if core is not None:
        _fill_benefits(member, core, [])
    return 1


def _take_in(
    visit: Visit, member: HouseholdMember, certificate: MovingOutCertificate, result: CoreMatch
) -> MovingOutSummary:
    """特例転入: the previous address and the members moving, from the 転出証明書情報."""
    entry = next(
        (e for e in certificate.members if _same_person(member, e)),
        HouseholdEntry(
            name=certificate.name, kana=certificate.kana, relationship=certificate.relationship
        ),
    )
    result.filled[member.id] = _fill_member(member, entry, certificate)
    if not visit.previous_address:
        visit.previous_address = certificate.previous_address
    for other in certificate.members:
        if not _same_person(member, other):
            result.added_members += _household_member(
                visit, other, certificate.previous_address, None
            )
    return MovingOutSummary(
        from_municipality=certificate.from_municipality,
        previous_address=certificate.previous_address,
        planned_date=certificate.planned_date,
        members=len(certificate.members) or 1,
    )
