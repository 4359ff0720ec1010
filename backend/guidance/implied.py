"""What the visit already answers: facts implied by the event and by the record.

A question is never asked about what the event or the record answers (issue 15). Two kinds:

- **Household facts from the record** (``imply_household``): a previous address abroad means
  the household comes from abroad (and so cannot have filed a 特例転入, which needs a 転出届
  from a Japanese municipality); a new address abroad is a 国外転出; an address naming a
  prefecture is in Japan; a 新世帯主 other than the current head means the head changes.
- **Member values from the event** (``imply_members``): in a death visit exactly the members
  marked deceased died; in a birth visit the newborn is the child born; in a move every member
  moves unless marked otherwise; in a divorce only the spouse concerned changes surname (a
  child keeps it until a 子の氏の変更 and 入籍届, asked as a household fact of its own).

Only values still unknown are ever filled: an answer given at the counter always wins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, MutableMapping
from functools import cache

from backend.addresses.normalize import fold
from backend.guidance.conditions import AGE_FACT, FactValue, MemberView, prefecture_changed
from contracts import VisitRecord
from forms.countries import country_names

MOVES = frozenset({"moving-in", "moving-out", "moving-within"})
HEAD = "世帯主"
# per event, the member facts from which imply_members derives other members' values
IMPLYING: dict[str, frozenset[str]] = {
    "death": frozenset({"deceased", "concerned"}),
    "birth": frozenset({"concerned", AGE_FACT}),
    "divorce": frozenset({"concerned"}),
}

# 東京都, 北海道, 京都府・大阪府 and the 43 県 (two or three characters before 県).
_PREFECTURE = re.compile(r"^\s*(?:東京都|北海道|京都府|大阪府|[^\s\d]{2,3}県)")
# Names a clerk writes for a country besides the forms' table (its long or everyday form);
# 国外/海外 as written when only the fact of living abroad is known.
_COUNTRY_ALIASES = ("アメリカ", "米国", "イギリス", "大韓民国", "中華人民共和国", "北朝鮮")
_ABROAD_WORDS = ("国外", "海外")


@cache
def _country_prefixes() -> tuple[str, ...]:
    names = {name for code, name in country_names().items() if code != "JP"}
    return tuple(sorted(names | {*_COUNTRY_ALIASES, *_ABROAD_WORDS}))


def address_abroad(address: str | None) -> bool | None:
    """True when the address starts with a country's name, False when with a prefecture's,
    None when it says neither (a municipality written without its prefecture, nothing)."""
    if not address or not address.strip():
        return None
    if _PREFECTURE.match(address):
        return False
    return True if address.strip().startswith(_country_prefixes()) else None


def head_changes(visit: VisitRecord) -> bool | None:
    """A 新世帯主 is named only when the head changes; the same name as the head's is not."""
    if not visit.new_household_head:
        return None
    current = visit.household_head or next(
        (member.name for member in visit.members if member.relationship == HEAD), None
    )
    return current is None or fold(current) != fold(visit.new_household_head)


def imply_household(visit: VisitRecord, facts: MutableMapping[str, FactValue]) -> None:
    """Fill in the household facts the record's addresses and 新世帯主 answer."""
    _fill(
        facts, "prefecture_changed", prefecture_changed(visit.previous_address, visit.new_address)
    )
    _fill(facts, "from_abroad", address_abroad(visit.previous_address))
    _fill(facts, "to_abroad", address_abroad(visit.new_address))
    _fill(facts, "head_changes", head_changes(visit))
    imply_from_facts(facts)


def imply_from_facts(facts: MutableMapping[str, FactValue]) -> None:
    """Household facts that follow from other household facts (also after a tried answer)."""
    if facts.get("from_abroad") is True:
        _fill(facts, "special_move_in", False)  # 特例転入 needs a 転出届 filed in Japan


def _fill(facts: MutableMapping[str, FactValue], name: str, value: FactValue) -> None:
    if facts.get(name) is None and value is not None:
        facts[name] = value


# --- member values the event implies ------------------------------------------------------

BirthDateSetter = Callable[[MemberView, dt.date | None, dt.date], None]


def imply_members(
    event: str, members: list[MemberView], day: dt.date, set_birth_date: BirthDateSetter
) -> None:
    """Fill in the member values the event itself answers."""
    if event == "death":
        _imply_death(members)
        return
    for member in members:  # nobody died in a visit about another event
        _fill(member.values, "deceased", False)
    if event == "birth":
        _imply_birth(members, day, set_birth_date)
    elif event == "divorce":
        _imply_divorce(members)
    elif event in MOVES:
        for member in members:  # the record's rule: no mark means the member moves
            _fill(member.values, "concerned", True)


def _imply_death(members: list[MemberView]) -> None:
    for member in members:
        if member.values.get("concerned") is True:
            _fill(member.values, "deceased", True)
    unknown = [m for m in members if m.values.get("deceased") is None]
    if len(unknown) == 1 and not any(m.values.get("deceased") for m in members):
        unknown[0].values["deceased"] = True  # everyone else is marked alive: it is them
    _only_the_marked(members, "deceased")
    for member in members:
        _fill(member.values, "concerned", member.values.get("deceased"))


def _imply_birth(members: list[MemberView], day: dt.date, set_birth_date: BirthDateSetter) -> None:
    for member in members:
        if member.values.get("concerned") is None and member.age is not None:
            member.values["concerned"] = member.values.get(AGE_FACT) == day.isoformat()
    _only_the_marked(members, "concerned")
    for member in members:
        if member.values.get("concerned") is True and member.age is None:
            set_birth_date(member, day, day)  # the child born on the event date


def _imply_divorce(members: list[MemberView]) -> None:
    """Only the spouse concerned changes surname by the divorce (民法 767条); a child's
    surname changes only by 子の氏の変更 and 入籍届 (民法 791条), a question of its own."""
    _only_the_marked(members, "concerned")
    for member in members:
        if member.values.get("concerned") is False and "name_changes" in member.values:
            _fill(member.values, "name_changes", False)


def _only_the_marked(members: list[MemberView], name: str) -> None:
    """Once some member is marked, the members not marked are not the ones (exactly those)."""
    if any(member.values.get(name) is True for member in members):
        for member in members:
            _fill(member.values, name, False)
