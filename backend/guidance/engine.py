"""Evaluate a visit against a compiled catalog: procedures with reasons, route, open questions.

Pure and deterministic: the same visit, catalog and answers always give the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.guidance.answers import apply_answers
from backend.guidance.catalog import CompiledCatalog, CompiledProcedure
from backend.guidance.conditions import (
    MEMBER_FIELDS,
    FactValue,
    HouseholdView,
    MemberView,
    prefecture_changed,
    school_grade,
)
from contracts import (
    GuidanceResult,
    Member,
    QuestionResult,
    VisitRecord,
)


def _member_label(member: Member, age: int | None) -> str:
    who = member.relationship or member.name
    return f"{who}（{age}歳）" if age is not None else who


def _member_value(
    name: str, member: Member, index: int, facts: Mapping[str, FactValue]
) -> FactValue:
    """Member field, then per-member fact, then derived value, then the household fact."""
    value: FactValue = getattr(member, name, None) if name in MEMBER_FIELDS else None
    if value is None:
        value = facts.get(f"members.{index}.{name}")
    if value is None and name == "has_my_number_card" and member.source == "card":
        value = True  # the card was just read at the counter
    if value is None:
        value = facts.get(name)
    return value


def build_view(visit: VisitRecord, catalog: CompiledCatalog) -> HouseholdView:
    facts: dict[str, FactValue] = dict(visit.facts)
    if facts.get("prefecture_changed") is None:
        facts["prefecture_changed"] = prefecture_changed(visit.previous_address, visit.new_address)
    names = set(MEMBER_FIELDS) | catalog.member_facts
    members = []
    for index, member in enumerate(visit.members):
        age = member.age_on(visit.event_date)
        values = {name: _member_value(name, member, index, facts) for name in names}
        nationality = values.get("nationality")
        values["foreign"] = None if nationality is None else nationality != "JP"
        members.append(
            MemberView(
                index=index,
                label=_member_label(member, age),
                age=age,
                school_grade=school_grade(member.birth_date, visit.event_date),
                values=values,
            )
        )
    return HouseholdView(
        event=visit.event,
        facts=facts,
        certificates=frozenset(c.kind for c in visit.certificates),
        members=members,
    )


Match = tuple[list[str], set[int], set[str]]


def _match(procedure: CompiledProcedure, view: HouseholdView, open_facts: set[str]) -> Match:
    """Reasons and members for which the procedure applies; adds facts still open to
    ``open_facts``."""
    reasons: list[str] = []
    concerned: set[int] = set()
    for rule in procedure.rules:
        when_value: bool | None = True
        when_unknowns: frozenset[str] = frozenset()
        if rule.when is not None:
            when_value, when_unknowns = rule.when(view)
            if when_value is False:
                continue
        if rule.member is None:
            if when_value:
                if rule.reason not in reasons:
                    reasons.append(rule.reason)
            else:
                open_facts |= when_unknowns
            continue
        any_possible = False
        for member in view.members:
            value, unknowns = rule.member(member)
            if value is False:
                continue
            any_possible = True
            if value is None:
                open_facts |= unknowns
            elif when_value:
                reason = rule.reason.replace("{member}", member.label)
                if reason not in reasons:
                    reasons.append(reason)
                concerned.add(member.index)
        if any_possible and when_value is None:
            open_facts |= when_unknowns
    return reasons, concerned, open_facts


def _items(procedure: CompiledProcedure, view: HouseholdView, unknowns: set[str]) -> list[str]:
    items = []
    for item in procedure.items:
        if item.when is None:
            items.append(item.text)
            continue
        value, item_unknowns = item.when(view)
        if value:
            items.append(item.text)
        elif value is None:
            unknowns |= item_unknowns
    return items


def _fee(procedure: CompiledProcedure, visit: VisitRecord) -> int:
    spec = procedure.spec
    if spec.fee_per_copy is None:
        return spec.fee_yen
    copies = sum(c.copies for c in visit.certificates if c.kind == spec.fee_per_copy)
    return spec.fee_yen * max(copies, 1)


def _result(
    procedure: CompiledProcedure,
    reasons: list[str],
    members: set[int],
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
        "deadline": None if offset is None else visit.event_date + offset,
        "members": sorted(members),
    }


def _questions(
    unknowns: set[str], view: HouseholdView, catalog: CompiledCatalog
) -> list[QuestionResult]:
    keyed: list[tuple[tuple[int, int], QuestionResult]] = []
    for key in unknowns:
        if key.startswith("members."):
            _, index_text, fact = key.split(".", 2)
            index = int(index_text)
            found = catalog.questions.get(("member", fact))
            label: str | None = view.members[index].label
        else:
            index, found, label = -1, catalog.questions.get(("household", key)), None
        if found is None:  # the catalog check guarantees a question; stay safe anyway
            continue
        position, question = found
        text = {"ja": question.text.ja, "en": question.text.en}
        if label is not None:
            text = {lang: value.replace("{member}", label) for lang, value in text.items()}
        keyed.append(
            (
                (position, index),
                QuestionResult(
                    id=key,
                    text=text,
                    type=question.type,
                    choices=list(question.choices),
                    member=None if index < 0 else index,
                ),
            )
        )
    return [question for _, question in sorted(keyed, key=lambda pair: pair[0])]


def evaluate(
    visit: VisitRecord,
    catalog: CompiledCatalog,
    answers: Mapping[str, Any] | None = None,
) -> GuidanceResult:
    """Every procedure the visit needs, in route order, with the questions still open."""
    visit = apply_answers(visit, answers or {}, catalog)
    view = build_view(visit, catalog)
    suggested: list[tuple[tuple[int, int, int, int], dict[str, Any]]] = []
    open_facts: set[str] = set()
    for procedure in catalog.by_event[visit.event]:
        reasons, members, _ = _match(procedure, view, open_facts)
        if reasons:
            items = _items(procedure, view, open_facts)
            suggested.append(
                (procedure.route_key, _result(procedure, reasons, members, items, visit))
            )
    suggested.sort(key=lambda pair: pair[0])
    procedures = [result for _, result in suggested]
    return GuidanceResult.model_validate(
        {
            "procedures": procedures,
            "questions": _questions(open_facts, view, catalog),
            "totals": {
                "procedures": len(procedures),
                "minutes": sum(p["minutes"] for p in procedures),
                "fee_yen": sum(p["fee_yen"] for p in procedures),
                "counters": len({p["counter"].id for p in procedures}),
            },
            "catalog_version": catalog.version_label,
        }
    )
