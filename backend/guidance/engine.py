"""Evaluate a visit against a compiled catalog: procedures with reasons, route, open questions.

Pure and deterministic: the same visit, catalog and answers always give the same result.

Three ideas keep the interview short (docs/guidance.md, "質問の選び方"):

- **The event and the record imply facts** (``implied.py``): in a death visit exactly the members
  marked deceased died; in a birth visit the newborn is the child born; in a move every member
  moves unless marked otherwise; an address abroad answers 国外転出・国外からの転入; a 新世帯主
  answers whether the head changes. Nothing the visit answers is asked.
- **A question is asked only when an answer changes the guidance**: for each fact still open,
  the engine tries every answer (``CompiledCatalog.probes``) on the procedures that read it and
  keeps the question only when one answer adds, removes or changes a procedure (for whom, what
  to bring) or settles one still pending. ``QuestionResult.decides`` names those procedures.
- **わからない does not block**: a question in ``VisitRecord.unresolved`` is no longer asked, and a
  procedure it might make needed is listed with ``uncertain: true`` (要確認), never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.guidance.answers import apply_answers, normalise_key
from backend.guidance.catalog import CompiledCatalog, CompiledProcedure, CompiledRule
from backend.guidance.conditions import (
    AGE_FACT,
    MEMBER_FIELDS,
    TRUE,
    FactValue,
    HouseholdView,
    MemberView,
    Outcome,
    Probe,
    school_grade,
)
from backend.guidance.implied import IMPLYING, imply_from_facts, imply_household, imply_members
from contracts import GuidanceResult, Member, VisitRecord

HOUSEHOLD = -1  # the target of a rule without a member condition
NOTHING: frozenset[str] = frozenset()
UNRESOLVED_NOTE = "要確認（わからない）: "


# --- the view of the household ----------------------------------------------------------


def _member_label(member: Member, age: int | None) -> str:
    who = member.relationship or member.name
    return f"{who}（{age}歳）" if age is not None else who


def _member_values(
    member: Member, index: int, facts: Mapping[str, FactValue], names: list[str]
) -> dict[str, FactValue]:
    """Per fact: the member's field, then the per-member fact, then a derived value, then the
    household fact of the same name."""
    prefix = f"members.{index}."
    values: dict[str, FactValue] = {}
    for name in (*MEMBER_FIELDS, *names):
        value: FactValue = getattr(member, name, None) if name in MEMBER_FIELDS else None
        if value is None:
            value = facts.get(prefix + name)
        if value is None and name == "has_my_number_card" and member.source == "card":
            value = True  # the card was just read at the counter
        if value is None:
            value = facts.get(name)
        values[name] = value
    return values


def _birth_date(member: Member, index: int, facts: Mapping[str, FactValue]) -> dt.date | None:
    """The record's birth date, else one answered as a fact (the console stores it so)."""
    if member.birth_date is not None:
        return member.birth_date
    answered = facts.get(f"members.{index}.{AGE_FACT}")
    if isinstance(answered, str):
        try:
            return dt.date.fromisoformat(answered)
        except ValueError:
            return None
    return None


def _age_on(born: dt.date, day: dt.date) -> int:
    had_birthday = (day.month, day.day) >= (born.month, born.day)
    return day.year - born.year - (0 if had_birthday else 1)


def _with_birth_date(member: MemberView, born: dt.date | None, day: dt.date) -> None:
    member.values[AGE_FACT] = None if born is None else born.isoformat()
    member.age = None if born is None else _age_on(born, day)
    member.school_grade = school_grade(born, day)


def _normalised_facts(facts: Mapping[str, FactValue]) -> dict[str, FactValue]:
    """Facts with a doubled member prefix (``members.0.members.0.x``) stored once."""
    result: dict[str, FactValue] = {}
    for key, value in facts.items():
        try:
            result[normalise_key(key)] = value
        except ValueError:
            continue  # two different members in one key: no question can have asked it
    return result


def build_view(visit: VisitRecord, catalog: CompiledCatalog) -> HouseholdView:
    facts = _normalised_facts(visit.facts)
    imply_household(visit, facts)
    names = sorted(catalog.member_facts - set(MEMBER_FIELDS))
    members = []
    for index, member in enumerate(visit.members):
        values = _member_values(member, index, facts, names)
        view = MemberView(index=index, label="", age=None, school_grade=None, values=values)
        _with_birth_date(view, _birth_date(member, index, facts), visit.event_date)
        nationality = values.get("nationality")
        values["foreign"] = None if nationality is None else nationality != "JP"
        members.append(view)
    imply_members(visit.event, members, visit.event_date, _with_birth_date)
    for member, view in zip(visit.members, members, strict=True):
        view.label = _member_label(member, view.age)
    return HouseholdView(
        event=visit.event,
        facts=facts,
        certificates=frozenset(c.kind for c in visit.certificates),
        members=members,
        day=visit.event_date,
    )


def _probe_value(fact: str, probe: Probe, day: dt.date) -> FactValue:
    """A birth-date probe ("age"/"grade", n) as a date on which the member has that age/grade."""
    if fact != AGE_FACT or not isinstance(probe, tuple):
        return probe  # type: ignore[return-value]
    kind, number = probe
    if kind == "age":
        year = day.year - number
        born = day.replace(year=year) if (day.month, day.day) != (2, 29) else dt.date(year, 3, 1)
        return born.isoformat()
    school_year = day.year if day.month >= 4 else day.year - 1
    return dt.date(school_year - number - 6, 10, 1).isoformat()


def _with_answer(view: HouseholdView, key: str, value: FactValue) -> HouseholdView:
    """The view as if ``key`` were answered ``value`` (copying only what changes)."""
    assert view.day is not None
    member_index, fact = _split(key)
    facts = view.facts
    if member_index is None:
        facts = {**view.facts, fact: value}
        imply_from_facts(facts)
    copy_all = fact in IMPLYING.get(view.event, NOTHING)
    members: list[MemberView] = []
    for member in view.members:
        target = member.index == member_index or (
            member_index is None and fact in member.values and member.values[fact] is None
        )
        if not (target or copy_all):
            members.append(member)
            continue
        copied = MemberView(
            member.index,
            member.label,
            member.age,
            member.school_grade,
            dict(member.values),
            member.unknown_outcomes,  # the same member: the same question keys
        )
        if target:
            _set_member_value(copied, fact, value, view.day)
        members.append(copied)
    if copy_all:
        imply_members(view.event, members, view.day, _with_birth_date)
    return HouseholdView(view.event, facts, view.certificates, members, view.day)


def _set_member_value(member: MemberView, fact: str, value: FactValue, day: dt.date) -> None:
    if fact == AGE_FACT:
        _with_birth_date(member, dt.date.fromisoformat(str(value)), day)
        return
    member.values[fact] = value
    if fact == "nationality":
        member.values["foreign"] = value != "JP"


def _split(key: str) -> tuple[int | None, str]:
    if key.startswith("members."):
        _, index, fact = key.split(".", 2)
        return int(index), fact
    return None, key


# --- one procedure ----------------------------------------------------------------------


@dataclass(slots=True)
class Pending:
    """A rule that may still apply to a target (a member, or the household): why, and the
    facts whose answers could decide it."""

    reasons: list[str] = field(default_factory=list)
    unknowns: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule on one view: its ``when``, and its member condition per member (None when
    the rule has none, or its ``when`` is false so the members were not looked at)."""

    when: Outcome
    members: list[Outcome] | None


@dataclass(frozen=True, slots=True)
class Change:
    """What a tried answer changed: the facts (by name) and the members (None: any)."""

    facts: frozenset[str]
    members: tuple[int, ...] | None


@dataclass(slots=True)
class ProcedureState:
    reasons: list[str] = field(default_factory=list)
    members: set[int] = field(default_factory=set)
    pending: dict[int, Pending] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)
    item_unknowns: set[str] = field(default_factory=set)
    # per rule (None: not in force), kept so that a tried answer re-evaluates only what it reads
    outcomes: list[RuleOutcome | None] = field(default_factory=list)
    seen: tuple[Any, ...] | None = None  # the signature, once computed (compared per answer)

    @property
    def listed(self) -> bool:
        return bool(self.reasons)

    def unknowns(self) -> set[str]:
        found = set(self.item_unknowns)
        for pending in self.pending.values():
            found |= pending.unknowns
        return found

    def signature(self) -> tuple[Any, ...]:
        """What a clerk sees change: listed or not, for whom, what to bring, what is pending."""
        if self.seen is None:
            pending, items = frozenset(self.pending), tuple(self.items)
            self.seen = (self.listed, frozenset(self.members), pending, items)
        return self.seen


def _add(reasons: list[str], reason: str) -> None:
    if reason not in reasons:
        reasons.append(reason)


def _rule_outcomes(
    procedure: CompiledProcedure,
    view: HouseholdView,
    base: list[RuleOutcome | None] | None = None,
    change: Change | None = None,
) -> list[RuleOutcome | None]:
    """Every rule's outcome on ``view``. Given the outcomes before ``change`` (a tried
    answer), only the conditions that read a changed fact are evaluated again, and a member
    condition only for the members that changed."""
    if base is None or change is None:
        return [_fresh_outcome(rule, view) for rule in procedure.rules]
    outcomes: list[RuleOutcome | None] = []
    for rule, before in zip(procedure.rules, base, strict=True):
        if before is None:  # not in force on the event date, whatever the answer
            outcomes.append(None)
            continue
        when = before.when
        if rule.when is not None and rule.when_reads & change.facts:
            when = rule.when(view)
        if rule.member is None or when[0] is False:
            outcomes.append(RuleOutcome(when, None))
        else:
            outcomes.append(RuleOutcome(when, _members_after(rule, view, before.members, change)))
    return outcomes


def _members_after(
    rule: CompiledRule, view: HouseholdView, before: list[Outcome] | None, change: Change
) -> list[Outcome]:
    assert rule.member is not None
    if before is not None and not rule.member_reads & change.facts:
        return before
    if before is None or change.members is None:
        return [rule.member(member) for member in view.members]
    members = list(before)
    for index in change.members:
        members[index] = rule.member(view.members[index])
    return members


def _fresh_outcome(rule: CompiledRule, view: HouseholdView) -> RuleOutcome | None:
    if not rule.in_force(view.day):
        return None
    when = TRUE if rule.when is None else rule.when(view)
    if rule.member is None or when[0] is False:
        return RuleOutcome(when, None)
    return RuleOutcome(when, [rule.member(member) for member in view.members])


def _state(
    procedure: CompiledProcedure,
    view: HouseholdView,
    base: list[RuleOutcome | None] | None = None,
    change: Change | None = None,
) -> ProcedureState:
    state = ProcedureState(outcomes=_rule_outcomes(procedure, view, base, change))
    for rule, outcome in zip(procedure.rules, state.outcomes, strict=True):
        if outcome is None:
            continue
        when_value, when_unknowns = outcome.when
        if when_value is False:
            continue
        if outcome.members is None:
            if when_value:
                _add(state.reasons, rule.reason)
            else:
                _pend(state, HOUSEHOLD, rule.reason, when_unknowns)
            continue
        for member, (value, unknowns) in zip(view.members, outcome.members, strict=True):
            if value is False:
                continue
            reason = rule.reason.replace("{member}", member.label)
            if value and when_value:
                _add(state.reasons, reason)
                state.members.add(member.index)
            else:
                _pend(state, member.index, reason, unknowns if value is None else ())
                if when_value is None:
                    state.pending[member.index].unknowns.update(when_unknowns)
    for target in state.members:  # already concerned: another rule only adds a reason
        state.pending.pop(target, None)
    if state.listed:
        state.pending.pop(HOUSEHOLD, None)
        _items(procedure, view, state)
    return state


def _signature(
    procedure: CompiledProcedure, view: HouseholdView, outcomes: list[RuleOutcome | None]
) -> tuple[Any, ...]:
    """``_state(...).signature()`` from the rules' outcomes, without the reasons' texts:
    what a tried answer is compared by, so it builds no more than it compares."""
    listed = False
    members: set[int] = set()
    pending: set[int] = set()
    for outcome in outcomes:
        if outcome is None or outcome.when[0] is False:
            continue
        when_value = outcome.when[0]
        if outcome.members is None:
            listed = listed or bool(when_value)
            if not when_value:
                pending.add(HOUSEHOLD)
            continue
        for index, (value, _) in enumerate(outcome.members):
            if value and when_value:
                listed = True
                members.add(index)
            elif value is not False:
                pending.add(index)
    pending -= members
    items: tuple[str, ...] = ()
    if listed:
        pending.discard(HOUSEHOLD)
        items = tuple(
            item.text for item in procedure.items if item.when is None or item.when(view)[0]
        )
    return (listed, frozenset(members), frozenset(pending), items)


def _pend(state: ProcedureState, target: int, reason: str, unknowns: Iterable[str]) -> None:
    pending = state.pending.get(target)
    if pending is None:
        pending = state.pending[target] = Pending()
    _add(pending.reasons, reason)
    pending.unknowns.update(unknowns)


def _items(procedure: CompiledProcedure, view: HouseholdView, state: ProcedureState) -> None:
    for item in procedure.items:
        if item.when is None:
            state.items.append(item.text)
            continue
        value, unknowns = item.when(view)
        if value:
            state.items.append(item.text)
        elif value is None:
            state.item_unknowns.update(unknowns)


def _fee(procedure: CompiledProcedure, visit: VisitRecord) -> int:
    spec = procedure.spec
    if spec.fee_per_copy is None:
        return spec.fee_yen
    copies = sum(c.copies for c in visit.certificates if c.kind == spec.fee_per_copy)
    return spec.fee_yen * max(copies, 1)


def _result(
    procedure: CompiledProcedure,
    reasons: list[str],
    members: Iterable[int],
    items: list[str],
    visit: VisitRecord,
) -> dict[str, Any]:
    """The procedure's result as data; validated together with the whole result (one call)."""
    offset = procedure.deadline_offset
    return {
        **procedure.static_fields,
        "reasons": reasons,
        "items": items,
        "fee_yen": _fee(procedure, visit),
        "deadline": None if offset is None else _deadline_start(procedure, visit) + offset,
        "members": sorted(members),
    }


def _deadline_start(procedure: CompiledProcedure, visit: VisitRecord) -> dt.date:
    """The event date, or the date fact the deadline counts from when the visit has it."""
    name = procedure.deadline_from_fact
    value = visit.facts.get(name) if name else None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return visit.event_date


# --- the whole visit --------------------------------------------------------------------


Evaluated = list[tuple[CompiledProcedure, ProcedureState]]


def _fact_name(key: str) -> str:
    """``members.1.insurance`` → ``insurance``, under which procedures are also indexed."""
    return key.rsplit(".", 1)[-1]


def _decides(
    key: str,
    view: HouseholdView,
    evaluated: Evaluated,
    readers: Mapping[str, list[int]],
    catalog: CompiledCatalog,
) -> list[str]:
    """Ids of the procedures that some answer to ``key`` changes (empty: do not ask)."""
    assert view.day is not None
    member_index, fact = _split(key)
    probes = catalog.probes.get(("household" if member_index is None else "member", fact), ())
    affected = readers.get(key, [])
    implying = IMPLYING.get(view.event, NOTHING)
    if fact in implying:  # an implication may change the other implying facts too
        affected = sorted({p for name in implying for p in readers.get(name, ())})
    elif member_index is None:  # a household fact also answers members who have none
        affected = sorted({*affected, *readers.get(fact, ())})
    changed: set[int] = set()
    for probe in probes:
        answered = _with_answer(view, key, _probe_value(fact, probe, view.day))
        change = _change(view, answered, member_index, fact)
        for position in affected:
            if position in changed:
                continue
            procedure, state = evaluated[position]
            outcomes = _rule_outcomes(procedure, answered, state.outcomes, change)
            if _signature(procedure, answered, outcomes) != state.signature():
                changed.add(position)
        if len(changed) == len(affected):
            break
    return [evaluated[position][0].spec.id for position in sorted(changed)]


def _change(
    view: HouseholdView, answered: HouseholdView, member_index: int | None, fact: str
) -> Change | None:
    """What answering ``fact`` changed in the view; None when the event's implications may
    have changed any member (a death's deceased, a birth's newborn): evaluate everything."""
    if fact in IMPLYING.get(view.event, NOTHING):
        return None
    if member_index is not None:
        return Change(frozenset((fact,)), (member_index,))
    implied = {name for name, value in answered.facts.items() if view.facts.get(name) != value}
    return Change(frozenset({fact, *implied}), None)


def _question(
    key: str, decides: list[str], view: HouseholdView, catalog: CompiledCatalog
) -> tuple[tuple[int, int], dict[str, Any]] | None:
    """The question as data (``QuestionResult``'s fields), validated with the whole result."""
    member_index, fact = _split(key)
    scope = "household" if member_index is None else "member"
    found = catalog.questions.get((scope, fact))
    if found is None:  # the catalog check guarantees a question; stay safe anyway
        return None
    position, question = found
    text = {"ja": question.text.ja, "en": question.text.en}
    if member_index is not None:
        label = view.members[member_index].label
        text = {lang: value.replace("{member}", label) for lang, value in text.items()}
    result = {
        "id": key,
        "text": text,
        "type": question.type,
        "choices": list(question.choices),
        "member": member_index,
        "decides": decides,
    }
    return (position, HOUSEHOLD if member_index is None else member_index), result


Keyed = tuple[tuple[int, int], dict[str, Any]]


def _ordered(keyed: list[Keyed]) -> list[dict[str, Any]]:
    """Grouped by member (household first on a tie), the group deciding most first; within a
    group, the question deciding most first, then catalog order."""
    best: dict[int, int] = {}
    for (_, group), question in keyed:
        best[group] = max(best.get(group, 0), len(question["decides"]))

    def order(pair: Keyed) -> tuple[int, int, int, int]:
        (position, group), question = pair
        return (-best[group], group, -len(question["decides"]), position)

    return [question for _, question in sorted(keyed, key=order)]


def _unresolved_keys(visit: VisitRecord) -> frozenset[str]:
    keys = set()
    for item in visit.unresolved:
        try:
            keys.add(normalise_key(item.question))
        except ValueError:
            continue
    return frozenset(keys)


def _uncertain(
    procedure: CompiledProcedure,
    state: ProcedureState,
    unresolved: frozenset[str],
    view: HouseholdView,
    visit: VisitRecord,
    catalog: CompiledCatalog,
) -> dict[str, Any] | None:
    """A pending procedure that an unanswerable question may make needed, marked 要確認."""
    targets = [t for t, p in state.pending.items() if p.unknowns & unresolved]
    if not targets:
        return None
    reasons: list[str] = []
    notes: list[str] = []
    for target in sorted(targets):
        for reason in state.pending[target].reasons:
            _add(reasons, reason)
        for key in sorted(state.pending[target].unknowns & unresolved):
            found = _question(key, [], view, catalog)
            if found is not None:
                _add(notes, UNRESOLVED_NOTE + found[1]["text"]["ja"])
    result = _result(procedure, reasons, (t for t in targets if t >= 0), [], visit)
    result["uncertain"] = True
    result["notes"] = [*notes, *result["notes"]]
    return result


def evaluate(
    visit: VisitRecord,
    catalog: CompiledCatalog,
    answers: Mapping[str, Any] | None = None,
) -> GuidanceResult:
    """Every procedure the visit needs, in route order, with the questions still open."""
    visit = apply_answers(visit, answers or {}, catalog)
    view = build_view(visit, catalog)
    unresolved = _unresolved_keys(visit)
    evaluated: Evaluated = []
    suggested: list[tuple[tuple[int, int, int, int], dict[str, Any]]] = []
    readers: dict[str, list[int]] = {}
    open_keys: set[str] = set()
    for procedure in catalog.by_event[visit.event]:
        state = _state(procedure, view)
        if state.listed:
            result = _result(procedure, state.reasons, state.members, state.items, visit)
            suggested.append((procedure.route_key, result))
        elif unresolved and (
            uncertain := _uncertain(procedure, state, unresolved, view, visit, catalog)
        ):
            suggested.append((procedure.route_key, uncertain))
        unknowns = state.unknowns()
        if unknowns:
            position = len(evaluated)
            evaluated.append((procedure, state))
            for name in unknowns | {_fact_name(key) for key in unknowns}:
                readers.setdefault(name, []).append(position)
            open_keys |= unknowns
    keyed = []
    for key in sorted(open_keys - unresolved):
        decides = _decides(key, view, evaluated, readers, catalog)
        if decides and (found := _question(key, decides, view, catalog)):
            keyed.append(found)
    suggested.sort(key=lambda pair: pair[0])
    procedures = [result for _, result in suggested]
    return GuidanceResult.model_validate(
        {
            "procedures": procedures,
            "questions": _ordered(keyed),
            "totals": {
                "procedures": len(procedures),
                "minutes": sum(p["minutes"] for p in procedures),
                "fee_yen": sum(p["fee_yen"] for p in procedures),
                "counters": len({p["counter"].id for p in procedures}),
            },
            "catalog_version": catalog.version_label,
        }
    )
