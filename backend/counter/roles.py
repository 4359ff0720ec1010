"""Who is who in a visit: the 届出人 (who files and signs), the members the event concerns
(the newborn, the deceased, the movers, the couple) and the 世帯主.

Each life event has its own rule for the defaults: a birth is filed by a parent, a death by a
survivor, never by the newborn or the deceased. The clerk may choose otherwise (a member, or a
代理人); a choice that cannot be right (the deceased filing) is refused. Pure functions of the
visit's rows: no query, no flush.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from backend.counter.errors import ApplicantNotAllowed
from backend.counter.models import HouseholdMember, Visit

HEAD = "世帯主"
ADULT_AGE = 15  # 届出 by a member under 15 is not taken as the default
MOVES = ("moving-in", "moving-within", "moving-out")


@dataclass(frozen=True)
class Filer:
    """The 届出人 as the record shows it."""

    name: str
    relationship: str | None
    phone: str | None
    member: int | None
    address: str | None


def _birth(member: HouseholdMember) -> dt.date | None:
    return dt.date.fromisoformat(member.birth_date) if member.birth_date else None


def _age(member: HouseholdMember, day: dt.date | None) -> int | None:
    born = _birth(member)
    if born is None or day is None:
        return None
    return day.year - born.year - (0 if (day.month, day.day) >= (born.month, born.day) else 1)


def concerned_flag(member: HouseholdMember) -> bool | None:
    value = (member.attributes or {}).get("concerned")
    return value if isinstance(value, bool) else None


def is_deceased(member: HouseholdMember) -> bool:
    return (member.attributes or {}).get("deceased") is True


def is_newborn(visit: Visit, member: HouseholdMember) -> bool:
    """The child a birth is about: marked so, or (unmarked) typed by hand and under one year
    old on the day of the event. A card is never the newborn's: it is issued later."""
    if visit.event != "birth":
        return False
    flag = concerned_flag(member)
    if flag is not None:
        return flag
    return member.source != "card" and _age(member, visit.event_date) == 0


def may_file(visit: Visit, member: HouseholdMember) -> bool:
    """Whether ``member`` can be the 届出人: never the deceased or the newborn."""
    return not is_deceased(member) and not is_newborn(visit, member)


def _default_filer(visit: Visit) -> HouseholdMember | None:
    """A parent for a birth, a survivor for a death, otherwise the first adult: a member whose
    card was read first (they are at the counter), then in the order of the list."""
    candidates = [m for m in visit.members if may_file(visit, m)]
    day = visit.event_date or dt.date.today()
    adults = [m for m in candidates if (_age(m, day) or ADULT_AGE) >= ADULT_AGE]
    pool = adults or candidates
    return min(pool, key=lambda m: (m.source != "card", m.position), default=None)


def head_member(visit: Visit) -> HouseholdMember | None:
    return next((m for m in visit.members if m.relationship_to_head == HEAD), None)


def default_head(visit: Visit) -> HouseholdMember | None:
    """Who becomes 世帯主 when nobody is marked so: the default 届出人."""
    return _default_filer(visit)


def stored_roles(visit: Visit) -> dict[str, Any]:
    return dict(visit.roles or {})


def chosen_filer(visit: Visit) -> HouseholdMember | None:
    """The member the clerk chose as 届出人, while still in the visit and allowed to file."""
    member_id = stored_roles(visit).get("applicant_member")
    chosen = next((m for m in visit.members if m.id == member_id), None)
    return chosen if chosen is not None and may_file(visit, chosen) else None


def filer_member(visit: Visit) -> HouseholdMember | None:
    """The 届出人 member: the clerk's choice, else the event's default; None when the clerk
    named someone outside the household."""
    if visit.applicant_name and stored_roles(visit).get("applicant_member") is None:
        return None
    return chosen_filer(visit) or _default_filer(visit)


def refuse_filer(visit: Visit, member: HouseholdMember) -> None:
    if not may_file(visit, member):
        raise ApplicantNotAllowed()


def _relationship_for_death(visit: Visit, filer: HouseholdMember) -> str:
    deceased = next((m for m in visit.members if is_deceased(m)), None)
    head_died = deceased is not None and deceased.relationship_to_head == HEAD
    if head_died and filer.relationship_to_head:
        return filer.relationship_to_head
    if filer.relationship_to_head == HEAD and deceased is not None:
        return {"妻": "夫", "夫": "妻", "子": "親", "父": "子", "母": "子"}.get(
            deceased.relationship_to_head or "", "同居の親族"
        )
    return "同居の親族"


def default_relationship(visit: Visit, filer: HouseholdMember) -> str:
    """The 届出人's 資格 / 続柄 for this event: 父・母 for a birth, the survivor's relation to
    the deceased for a death, 本人 when the filer is one of those the event concerns."""
    if visit.event == "birth":
        return {"1": "父", "2": "母"}.get(filer.sex or "", "同居者")
    if visit.event == "death":
        return _relationship_for_death(visit, filer)
    marked = [m for m in visit.members if concerned_flag(m) is True]
    if not marked or filer in marked:
        return "本人"
    return HEAD if filer.relationship_to_head == HEAD else "同一世帯員"


def filer(visit: Visit) -> Filer | None:
    """The 届出人 as the record shows it: a member (by index) or a person the clerk named."""
    stored = stored_roles(visit)
    member = filer_member(visit)
    if member is None:
        if not visit.applicant_name:
            return None
        return Filer(
            visit.applicant_name, visit.applicant_relationship, visit.applicant_phone, None, None
        )
    explicit = member is chosen_filer(visit)
    relationship = (
        stored.get("applicant_relationship") if explicit else None
    ) or default_relationship(visit, member)
    address = visit.new_address if visit.event in ("moving-in", "moving-within") else None
    return Filer(
        name=member.name,
        relationship=relationship,
        phone=visit.applicant_phone,
        member=visit.members.index(member),
        address=address or member.address,
    )


def household_head_name(visit: Visit) -> str | None:
    """The 世帯主 named by the clerk, else the member marked 世帯主."""
    if visit.household_head:
        return visit.household_head
    head = head_member(visit)
    return head.name if head else None
