"""Properties of the engine on random synthetic visits (hypothesis)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from guidance_builders import HERE, OTHER_PREFECTURE, SAME_PREFECTURE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from backend.guidance.catalog import CompiledCatalog, load_default_catalog
from backend.guidance.engine import evaluate
from contracts import EVENTS, QuestionResult, VisitRecord

CATALOG: CompiledCatalog = load_default_catalog()
RELATIONSHIPS = ["世帯主", "妻", "夫", "長男", "長女", "次男", "母", "父", "子"]
INSURANCES = ["national_health", "employee", "late_elderly", "welfare", "none"]
HOUSEHOLD_FACTS = sorted(
    question.fact_name for question in CATALOG.spec.questions if question.scope == "household"
)
MEMBER_FACTS = sorted(
    question.fact_name
    for question in CATALOG.spec.questions
    if question.scope == "member" and question.fact_name not in ("birth_date",)
)
maybe_bool = st.none() | st.booleans()


@st.composite
def members(draw: DrawFn) -> dict[str, Any]:
    member: dict[str, Any] = {
        "name": "見本　太郎",
        "source": draw(st.sampled_from(["card", "staff"])),
    }
    optional: dict[str, Any] = {
        "birth_date": st.dates(dt.date(1920, 1, 1), dt.date(2026, 11, 20)).map(str),
        "relationship": st.sampled_from(RELATIONSHIPS),
        "nationality": st.sampled_from(["JP", "VN", "BR", "CN"]),
        "insurance": st.sampled_from(INSURANCES),
        "care_certified": st.booleans(),
        "disability_certificate": st.booleans(),
        "deceased": st.booleans(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            member[key] = draw(strategy)
    return member


@st.composite
def visits(draw: DrawFn) -> VisitRecord:
    people = draw(st.lists(members(), max_size=6))
    facts: dict[str, Any] = {}
    for name in HOUSEHOLD_FACTS:
        value = draw(maybe_bool)
        if value is not None:
            facts[name] = value
    for index in range(len(people)):
        for name in ("name_changes", "needs_childcare", "has_my_number_card"):
            value = draw(maybe_bool)
            if value is not None:
                facts[f"members.{index}.{name}"] = value
    kinds = draw(st.lists(st.sampled_from(["residence", "tax", "seal"]), max_size=2))
    return VisitRecord.model_validate(
        {
            "tenant": {"code": "131016", "name": "千代田区"},
            "event": draw(st.sampled_from(EVENTS)),
            "event_date": "2026-11-20",
            "filed_on": "2026-11-24",
            "previous_address": draw(st.sampled_from([None, SAME_PREFECTURE, OTHER_PREFECTURE])),
            "new_address": draw(st.sampled_from([None, HERE])),
            "members": people,
            "facts": facts,
            "certificates": [{"kind": kind} for kind in kinds],
        }
    )


def valid_answer(question: QuestionResult) -> str:
    if question.type == "bool":
        return "true"
    if question.type == "choice":
        return question.choices[0]
    if question.id.endswith(".birth_date"):
        return "1980-01-01"
    if question.id.endswith(".nationality"):
        return "JP"
    return "長男"


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(visits())
def test_deterministic(record: VisitRecord) -> None:
    first = evaluate(record, CATALOG)
    again = evaluate(VisitRecord.model_validate(record.model_dump(by_alias=True)), CATALOG)
    assert first == again
    assert first.model_dump_json() == again.model_dump_json()


@FAST
@given(visits(), st.text(min_size=1, max_size=8), st.none() | st.booleans() | st.integers())
def test_irrelevant_fact_changes_nothing(record: VisitRecord, suffix: str, value: Any) -> None:
    irrelevant = f"unrelated_{suffix}"
    changed = record.model_copy(update={"facts": {**record.facts, irrelevant: value}})
    assert evaluate(changed, CATALOG) == evaluate(record, CATALOG)


@FAST
@given(visits())
def test_every_procedure_has_a_reason_and_route_order(record: VisitRecord) -> None:
    result = evaluate(record, CATALOG)
    assert all(procedure.reasons for procedure in result.procedures)
    floors = [(int(p.counter.floor.rstrip("階")), p.counter.order) for p in result.procedures]  # type: ignore[union-attr]
    assert floors == sorted(floors)
    assert result.totals.procedures == len(result.procedures)
    assert result.totals.minutes == sum(p.minutes for p in result.procedures)


@FAST
@given(visits(), st.data())
def test_answering_a_question_closes_it(record: VisitRecord, data: st.DataObject) -> None:
    result = evaluate(record, CATALOG)
    if not result.questions:
        return
    question = data.draw(st.sampled_from(result.questions))
    answered = evaluate(record, CATALOG, {question.id: valid_answer(question)})
    assert question.id not in {q.id for q in answered.questions}


@FAST
@given(visits())
def test_answering_every_question_leaves_none_open(record: VisitRecord) -> None:
    answers: dict[str, str] = {}
    for _ in range(20):
        result = evaluate(record, CATALOG, answers)
        if not result.questions:
            break
        answers.update({q.id: valid_answer(q) for q in result.questions})
    assert evaluate(record, CATALOG, answers).questions == []
