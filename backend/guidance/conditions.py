"""The condition language of the catalog: a structured tree, compiled once into closures.

A condition is a YAML mapping with exactly one key (``all``, ``any``, ``not``, ``event``,
``fact``, ``prefecture_changed``, ``certificate``, ``any_member``, ``count_members`` at the
household level; ``all``, ``any``, ``not``, ``age``, ``school_grade``, ``relationship``,
``nationality``, ``foreign``, ``insurance``, ``care_certified``, ``disability_certificate``,
``deceased``, ``concerned``, ``fact`` at the member level). Nothing is ever ``eval``-ed.

Evaluation is three-valued (Kleene): a compiled condition returns ``(value, unknowns)`` where
``value`` is True, False or None (unknown) and ``unknowns`` are the fact keys that could still
decide it. ``all`` is False as soon as one child is False (whatever the unknowns), so only facts
whose answer could change the result are ever reported.

Compiling also records, per fact, the values worth trying (``Compiled.probes``): the literals and
range bounds a condition compares with. The engine tries them to tell whether answering a
question could change the guidance at all (a text or number fact has no list of choices).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import EVENTS

FactValue = bool | int | str | None
Unknowns = frozenset[str]
Outcome = tuple[bool | None, Unknowns]

NO_UNKNOWNS: Unknowns = frozenset()
TRUE: Outcome = (True, NO_UNKNOWNS)
FALSE: Outcome = (False, NO_UNKNOWNS)

INSURANCE_KINDS = ("national_health", "employee", "late_elderly", "welfare", "none")
# The kinds of ``contracts.visit.Certificate`` a ``certificate:`` condition may name.
CERTIFICATE_KINDS = ("residence", "residence_removed", "family_register_attachment", "tax", "seal")

# Member attributes read from the record's Member (key → what a question must set).
MEMBER_FIELDS = (
    "relationship",
    "nationality",
    "insurance",
    "care_certified",
    "disability_certificate",
    "deceased",
    "concerned",
)
# Member predicates that need the birth date; an unknown age asks for ``birth_date``.
AGE_FACT = "birth_date"


@dataclass(slots=True)
class MemberView:
    """What member conditions see: one member's values, computed once per evaluation."""

    index: int
    label: str
    age: int | None
    school_grade: int | None
    values: dict[str, FactValue]
    # "unknown, decided by members.N.fact" per fact, built once per member (copies share it)
    unknown_outcomes: dict[str, Outcome] = field(default_factory=dict)

    def key(self, fact: str) -> str:
        return f"members.{self.index}.{fact}"

    def unknown(self, fact: str) -> Outcome:
        found = self.unknown_outcomes.get(fact)
        if found is None:
            found = self.unknown_outcomes[fact] = (None, frozenset((self.key(fact),)))
        return found


@dataclass(slots=True)
class HouseholdView:
    """What household conditions see."""

    event: str
    facts: Mapping[str, FactValue]
    certificates: frozenset[str]
    members: list[MemberView] = field(default_factory=list)
    day: dt.date | None = None  # the event date: rules not in force on it are skipped


HouseholdFn = Callable[[HouseholdView], Outcome]
MemberFn = Callable[[MemberView], Outcome]


@dataclass(frozen=True, slots=True)
class FactRef:
    """A fact a condition reads: household (``member=False``) or per member."""

    name: str
    member: bool


class ConditionError(ValueError):
    """A condition that cannot be compiled; ``path`` is relative to the condition."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


# A probe of the birth date: ("age", n) or ("grade", n), turned into a date by the engine.
Probe = FactValue | tuple[str, int]


@dataclass(slots=True)
class Compiled:
    """A compiled condition, the facts it reads (for the catalog's cross-checks) and the values
    worth trying for each of them."""

    fn: Any
    facts: set[FactRef] = field(default_factory=set)
    probes: dict[FactRef, set[Probe]] = field(default_factory=dict)

    def read(self, fact: FactRef, *values: Probe) -> None:
        self.facts.add(fact)
        self.probes.setdefault(fact, set()).update(values)


OTHER_TEXT = "\u0000other"  # a text no condition names: "none of the values listed"


def literals(spec: Any) -> set[Probe]:
    """The values a value test compares with, one past each range bound, and a value that
    matches none of them, so that every outcome of the test can be tried."""
    found: set[Probe] = set()
    if isinstance(spec, bool | int | str):
        found.add(spec)
    elif isinstance(spec, list):
        found.update(v for v in spec if isinstance(v, bool | int | str))
    elif isinstance(spec, dict):
        for key in ("equals", "in", "not_in"):
            if key in spec:
                found |= literals(spec[key])
        for key, step in (("min", -1), ("max", 1)):
            bound = spec.get(key)
            if isinstance(bound, int) and not isinstance(bound, bool):
                found |= {bound, bound + step}
    texts = any(isinstance(v, str) for v in found)
    numbers = any(isinstance(v, int) and not isinstance(v, bool) for v in found)
    if texts:
        found.add(OTHER_TEXT)
    if numbers:
        found.add(-(10**6))
    if any(isinstance(v, bool) for v in found) or not found:
        found |= {True, False}
    return found


# --- Kleene combinators -----------------------------------------------------------------


def _all(children: list[Callable[[Any], Outcome]]) -> Callable[[Any], Outcome]:
    def evaluate(view: Any) -> Outcome:
        unknowns: Unknowns | None = None
        for child in children:
            value, child_unknowns = child(view)
            if value is False:
                return FALSE
            if value is None:
                unknowns = child_unknowns if unknowns is None else unknowns | child_unknowns
        return TRUE if unknowns is None else (None, unknowns)

    return evaluate


def _any(children: list[Callable[[Any], Outcome]]) -> Callable[[Any], Outcome]:
    def evaluate(view: Any) -> Outcome:
        unknowns: Unknowns | None = None
        for child in children:
            value, child_unknowns = child(view)
            if value is True:
                return TRUE
            if value is None:
                unknowns = child_unknowns if unknowns is None else unknowns | child_unknowns
        return FALSE if unknowns is None else (None, unknowns)

    return evaluate


def _not(child: Callable[[Any], Outcome]) -> Callable[[Any], Outcome]:
    def evaluate(view: Any) -> Outcome:
        value, unknowns = child(view)
        if value is None:
            return (None, unknowns)
        return FALSE if value else TRUE

    return evaluate


# --- value tests -------------------------------------------------------------------------


def _value_test(spec: Any, path: tuple[str | int, ...]) -> Callable[[FactValue], bool]:
    """A test on a known value: ``true``/``false``/scalar (equals), a list (in), or a mapping
    with ``equals``, ``in``, ``not_in``, ``min``, ``max``."""
    if isinstance(spec, bool | int | str):
        expected = spec
        return lambda value: value == expected and type(value) is type(expected)
    if isinstance(spec, list):
        return _in_test(spec, path)
    if not isinstance(spec, dict) or not spec:
        raise ConditionError(path, "値・一覧・または equals/in/not_in/min/max を指定してください")
    unknown = set(spec) - {"equals", "in", "not_in", "min", "max"}
    if unknown:
        raise ConditionError((*path, sorted(unknown)[0]), "使えないキーです")
    tests: list[Callable[[FactValue], bool]] = []
    if "equals" in spec:
        tests.append(_value_test(spec["equals"], (*path, "equals")))
    if "in" in spec:
        tests.append(_in_test(spec["in"], (*path, "in")))
    if "not_in" in spec:
        excluded = _in_test(spec["not_in"], (*path, "not_in"))
        tests.append(lambda value: not excluded(value))
    low = _int_or_none(spec, "min", path)
    high = _int_or_none(spec, "max", path)
    if low is not None or high is not None:
        tests.append(_range_test(low, high))
    return lambda value: all(test(value) for test in tests)


def _in_test(options: Any, path: tuple[str | int, ...]) -> Callable[[FactValue], bool]:
    if not isinstance(options, list) or not options:
        raise ConditionError(path, "一つ以上の値の一覧を指定してください")
    for position, option in enumerate(options):
        if not isinstance(option, bool | int | str):
            raise ConditionError((*path, position), "値は文字列・数値・真偽値です")
    allowed = frozenset((type(option), option) for option in options)
    return lambda value: (type(value), value) in allowed


def _int_or_none(spec: Mapping[str, Any], key: str, path: tuple[str | int, ...]) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConditionError((*path, key), "整数を指定してください")
    return value


def _range_test(low: int | None, high: int | None) -> Callable[[FactValue], bool]:
    bottom = -(10**9) if low is None else low
    top = 10**9 if high is None else high

    def test(value: FactValue) -> bool:
        return type(value) is int and bottom <= value <= top

    return test


def _range_spec(spec: Any, path: tuple[str | int, ...]) -> Callable[[FactValue], bool]:
    if isinstance(spec, (bool, int)):
        return _value_test(spec, path)
    if not isinstance(spec, dict) or not spec or set(spec) - {"min", "max"}:
        raise ConditionError(path, "min と max（どちらも含む）で範囲を指定してください")
    return _range_test(_int_or_none(spec, "min", path), _int_or_none(spec, "max", path))


def _bool_spec(spec: Any, path: tuple[str | int, ...]) -> bool:
    if not isinstance(spec, bool):
        raise ConditionError(path, "true か false を指定してください")
    return spec


def _fact_spec(spec: Any, path: tuple[str | int, ...]) -> tuple[str, Callable[[FactValue], bool]]:
    """``fact: name`` (the fact is true) or ``fact: {name: x, <value test>}``."""
    if isinstance(spec, str) and spec:
        return spec, lambda value: value is True
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise ConditionError(path, "fact には名前、または name と条件を指定してください")
    rest = {key: value for key, value in spec.items() if key != "name"}
    if not rest:
        return spec["name"], lambda value: value is True
    if "is" in rest:
        if len(rest) > 1:
            raise ConditionError(path, "is は単独で指定してください")
        return spec["name"], _value_test(rest["is"], (*path, "is"))
    return spec["name"], _value_test(rest, path)


def _fact_literals(spec: Any) -> set[Probe]:
    if not isinstance(spec, dict):
        return {True, False}
    rest = {key: value for key, value in spec.items() if key != "name"}
    return literals(rest.get("is", rest)) if rest else {True, False}


def _single_key(node: Any, path: tuple[str | int, ...]) -> tuple[str, Any]:
    if not isinstance(node, dict) or len(node) != 1:
        raise ConditionError(path, "条件はキーが一つだけの対応表で書いてください")
    ((key, value),) = node.items()
    return str(key), value


def _children(
    value: Any,
    path: tuple[str | int, ...],
    compile_child: Callable[[Any, tuple[str | int, ...], Compiled], Any],
    compiled: Compiled,
) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ConditionError(path, "一つ以上の条件の一覧を指定してください")
    return [compile_child(child, (*path, i), compiled) for i, child in enumerate(value)]


# --- member conditions -------------------------------------------------------------------


def _member_attribute(
    attribute: str, unknown_key: str, test: Callable[[FactValue], bool]
) -> MemberFn:
    def evaluate(member: MemberView) -> Outcome:
        value = member.values.get(attribute)
        if value is None:
            return member.unknown(unknown_key)
        return TRUE if test(value) else FALSE

    return evaluate


def _member_flag(attribute: str, unknown_key: str, expected: bool) -> MemberFn:
    """``_member_attribute`` for a true/false test, without a test function to call (the
    commonest condition: flags such as ``deceased: true`` or ``fact: name_changes``)."""

    def evaluate(member: MemberView) -> Outcome:
        value = member.values.get(attribute)
        if value is None:
            return member.unknown(unknown_key)
        return TRUE if value is expected else FALSE

    return evaluate


def _flag_expected(spec: Any) -> bool | None:
    """The boolean a ``fact:`` condition compares with, when it is a plain flag test."""
    if isinstance(spec, str):
        return True
    if isinstance(spec, dict) and set(spec) <= {"name", "is"}:
        expected = spec.get("is", True)
        return expected if isinstance(expected, bool) else None
    return None


def _member_number(attribute: str, test: Callable[[FactValue], bool]) -> MemberFn:
    def evaluate_age(member: MemberView) -> Outcome:
        if member.age is None:
            return member.unknown(AGE_FACT)
        return TRUE if test(member.age) else FALSE

    def evaluate_grade(member: MemberView) -> Outcome:
        if member.school_grade is None:
            return member.unknown(AGE_FACT)
        return TRUE if test(member.school_grade) else FALSE

    return evaluate_age if attribute == "age" else evaluate_grade


def compile_member(node: Any, path: tuple[str | int, ...], compiled: Compiled) -> MemberFn:
    key, value = _single_key(node, path)
    here = (*path, key)
    if key == "all":
        return _all(_children(value, here, compile_member, compiled))
    if key == "any":
        return _any(_children(value, here, compile_member, compiled))
    if key == "not":
        return _not(compile_member(value, here, compiled))
    if key in ("age", "school_grade"):
        test = _range_spec(value, here)
        kind = "age" if key == "age" else "grade"
        compiled.read(
            FactRef(AGE_FACT, member=True),
            *((kind, n) for n in literals(value) if type(n) is int and n > -(10**6)),
        )
        return _member_number(key, test)
    if key in ("care_certified", "disability_certificate", "deceased", "concerned"):
        compiled.read(FactRef(key, member=True), True, False)
        return _member_flag(key, key, _bool_spec(value, here))
    if key in ("relationship", "nationality", "insurance"):
        test = _value_test(value, here)
        if key == "insurance":
            _check_choices(value, INSURANCE_KINDS, here)
        compiled.read(FactRef(key, member=True), *literals(value))
        return _member_attribute(key, key, test)
    if key == "foreign":
        compiled.read(FactRef("nationality", member=True), "JP", OTHER_TEXT)
        return _member_flag(key, "nationality", _bool_spec(value, here))
    if key == "fact":
        name, test = _fact_spec(value, here)
        compiled.read(FactRef(name, member=True), *_fact_literals(value))
        flag = _flag_expected(value)
        if flag is not None:
            return _member_flag(name, name, flag)
        return _member_attribute(name, name, test)
    raise ConditionError(here, f"世帯員の条件として使えないキーです: {key}")


def _check_choices(spec: Any, allowed: Iterable[str], path: tuple[str | int, ...]) -> None:
    values = (
        spec if isinstance(spec, list) else spec.get("in", []) if isinstance(spec, dict) else [spec]
    )
    allowed_set = set(allowed)
    for position, option in enumerate(values):
        if option not in allowed_set:
            raise ConditionError(
                (*path, position) if isinstance(spec, list) else path,
                f"{option!r} は使えません（{', '.join(sorted(allowed_set))}）",
            )


# --- household conditions ----------------------------------------------------------------


def _household_fact(name: str, test: Callable[[FactValue], bool]) -> HouseholdFn:
    unknown: Outcome = (None, frozenset((name,)))

    def evaluate(view: HouseholdView) -> Outcome:
        value = view.facts.get(name)
        if value is None:
            return unknown
        return TRUE if test(value) else FALSE

    return evaluate


def _household_flag(name: str, expected: bool) -> HouseholdFn:
    unknown: Outcome = (None, frozenset((name,)))

    def evaluate(view: HouseholdView) -> Outcome:
        value = view.facts.get(name)
        if value is None:
            return unknown
        return TRUE if value is expected else FALSE

    return evaluate


def _any_member(member_fn: MemberFn) -> HouseholdFn:
    def evaluate(view: HouseholdView) -> Outcome:
        unknowns: Unknowns | None = None
        for member in view.members:
            value, member_unknowns = member_fn(member)
            if value is True:
                return TRUE
            if value is None:
                unknowns = member_unknowns if unknowns is None else unknowns | member_unknowns
        return FALSE if unknowns is None else (None, unknowns)

    return evaluate


def _count_members(member_fn: MemberFn, low: int | None, high: int | None) -> HouseholdFn:
    def evaluate(view: HouseholdView) -> Outcome:
        sure = 0
        maybe = 0
        unknowns: set[str] = set()
        for member in view.members:
            value, member_unknowns = member_fn(member)
            if value is True:
                sure += 1
            elif value is None:
                maybe += 1
                unknowns |= member_unknowns
        fewest, most = sure, sure + maybe
        if (low is not None and most < low) or (high is not None and fewest > high):
            return FALSE
        if (low is None or fewest >= low) and (high is None or most <= high):
            return TRUE
        return (None, frozenset(unknowns))

    return evaluate


def compile_household(node: Any, path: tuple[str | int, ...], compiled: Compiled) -> HouseholdFn:
    key, value = _single_key(node, path)
    here = (*path, key)
    if key == "all":
        return _all(_children(value, here, compile_household, compiled))
    if key == "any":
        return _any(_children(value, here, compile_household, compiled))
    if key == "not":
        return _not(compile_household(value, here, compiled))
    if key == "event":
        events = value if isinstance(value, list) else [value]
        _check_choices(events, EVENTS, here)
        wanted = frozenset(events)
        return lambda view: TRUE if view.event in wanted else FALSE
    if key == "certificate":
        kinds = value if isinstance(value, list) else [value]
        _check_choices(kinds, CERTIFICATE_KINDS, here)
        wanted_kinds = frozenset(kinds)
        return lambda view: TRUE if view.certificates & wanted_kinds else FALSE
    if key == "prefecture_changed":
        compiled.read(FactRef("prefecture_changed", member=False), True, False)
        expected = _bool_spec(value, here)
        return _household_flag("prefecture_changed", expected)
    if key == "fact":
        name, test = _fact_spec(value, here)
        compiled.read(FactRef(name, member=False), *_fact_literals(value))
        flag = _flag_expected(value)
        return _household_fact(name, test) if flag is None else _household_flag(name, flag)
    if key == "any_member":
        return _any_member(compile_member(value, here, compiled))
    if key == "count_members":
        return _compile_count(value, here, compiled)
    raise ConditionError(here, f"世帯の条件として使えないキーです: {key}")


def _compile_count(value: Any, path: tuple[str | int, ...], compiled: Compiled) -> HouseholdFn:
    if not isinstance(value, dict) or set(value) - {"where", "min", "max"}:
        raise ConditionError(path, "count_members には where と min/max を指定してください")
    if "min" not in value and "max" not in value:
        raise ConditionError(path, "min か max を指定してください")
    member_fn: MemberFn = (
        compile_member(value["where"], (*path, "where"), compiled)
        if "where" in value
        else (lambda _member: TRUE)
    )
    return _count_members(
        member_fn, _int_or_none(value, "min", path), _int_or_none(value, "max", path)
    )


def compile_household_condition(node: Any) -> Compiled:
    compiled = Compiled(fn=None)
    compiled.fn = compile_household(node, (), compiled)
    return compiled


def compile_member_condition(node: Any) -> Compiled:
    compiled = Compiled(fn=None)
    compiled.fn = compile_member(node, (), compiled)
    return compiled


# --- derived values ----------------------------------------------------------------------

PREFECTURES = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)


def leading_prefecture(address: str | None) -> str | None:
    """The prefecture an address starts with, or None when it names none (e.g. abroad)."""
    if not address:
        return None
    text = address.strip().lstrip("〒0123456789０１２３４５６７８９-－ 　")
    for name in PREFECTURES:
        if text.startswith(name):
            return name
    return None


def prefecture_changed(previous: str | None, new: str | None) -> bool | None:
    before, after = leading_prefecture(previous), leading_prefecture(new)
    if before is None or after is None:
        return None
    return before != after


def school_grade(birth_date: dt.date | None, day: dt.date) -> int | None:
    """School grade on ``day`` (1–6 elementary, 7–9 junior high, 10–12 high school, ≤0 before).

    A child enters grade 1 in the April after turning six; by law one ages on the eve of the
    birthday, so a child born on 1 April is in the older year. That is the child's ordinary age
    on 1 April of the school year, minus five.
    """
    if birth_date is None:
        return None
    school_year = day.year if day.month >= 4 else day.year - 1
    april_first = dt.date(school_year, 4, 1)
    had_birthday = (april_first.month, april_first.day) >= (birth_date.month, birth_date.day)
    age = school_year - birth_date.year - (0 if had_birthday else 1)
    return age - 5
