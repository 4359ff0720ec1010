"""The interview a veteran clerk would trust: nothing the event answers is asked, every question
asked can change the list, questions come grouped per member, わからない never blocks."""

from __future__ import annotations

import pytest
from guidance_builders import person, visit

from backend.guidance.answers import normalise_key
from backend.guidance.catalog import CompiledCatalog, parse_catalog
from backend.guidance.engine import evaluate
from backend.guidance.errors import InvalidAnswer
from contracts import VisitRecord


def bare(relationship: str, born: str, **fields: object) -> dict[str, object]:
    """A member with nothing known but the relationship and the birth date."""
    member = {"name": f"見本　{relationship}", "relationship": relationship, "birth_date": born}
    return {**member, **fields}


def death_of_the_head() -> list[dict[str, object]]:
    # 82-year-old head marked deceased; wife 78 and child 51 survive
    return [
        bare("世帯主", "1944-01-01", deceased=True),
        bare("妻", "1948-03-03"),
        bare("子", "1975-05-05"),
    ]


def test_a_death_asks_nothing_about_the_survivors(catalog: CompiledCatalog) -> None:
    result = evaluate(visit("death", death_of_the_head(), defaults=False), catalog)
    asked = {q.id for q in result.questions}
    for survivor in (1, 2):
        assert f"members.{survivor}.deceased" not in asked
        assert f"members.{survivor}.care_certified" not in asked
    texts = [q.text["ja"] for q in result.questions]
    assert not any("亡くなられたのは" in text for text in texts)
    # the survivors are known alive, so the head's death leaves two: 世帯主変更届
    assert "head-change" in {p.id for p in result.procedures}


def test_the_only_unmarked_member_of_a_death_is_the_deceased(catalog: CompiledCatalog) -> None:
    members = [bare("世帯主", "1944-01-01"), bare("妻", "1948-03-03", deceased=False)]
    result = evaluate(visit("death", members), catalog)
    assert "death-notice" in {p.id for p in result.procedures}
    assert not any(q.id.endswith(".deceased") for q in result.questions)


def test_an_unmarked_death_asks_who_died_first(catalog: CompiledCatalog) -> None:
    members = [bare("世帯主", "1944-01-01"), bare("妻", "1948-03-03")]
    result = evaluate(visit("death", members, defaults=False), catalog)
    deceased = [q for q in result.questions if q.id.endswith(".deceased")]
    assert len(deceased) == 2
    # who died decides the most: it comes first in its member's group
    for question in deceased:
        group = [q for q in result.questions if q.member == question.member]
        assert group[0] is question
        assert len(question.decides) == max(len(q.decides) for q in group)
    answered = evaluate(
        visit("death", members, defaults=False), catalog, {"members.0.deceased": "はい"}
    )
    assert not any(q.id.endswith(".deceased") for q in answered.questions)


def test_a_newborn_is_the_child_born(catalog: CompiledCatalog) -> None:
    # a sibling born this year is 0 too, but only the newborn is the child born
    members = [
        person("世帯主", "1990-01-01"),
        person("長女", "2026-01-15", insurance="national_health"),
        person("長男", "2026-11-20", insurance="national_health"),
    ]
    result = evaluate(visit("birth", members), catalog)
    allowance = next(p for p in result.procedures if p.id == "nhi-enroll")
    assert allowance.members == [2]


def test_a_newborn_marked_concerned_without_a_birth_date(catalog: CompiledCatalog) -> None:
    newborn = person("長男", "2026-11-20", insurance="national_health")
    del newborn["birth_date"]
    newborn["concerned"] = True
    result = evaluate(visit("birth", [person("世帯主", "1990-01-01"), newborn]), catalog)
    assert not any(q.id == "members.1.birth_date" for q in result.questions)
    assert 1 in next(p for p in result.procedures if p.id == "nhi-enroll").members


def test_every_question_says_what_it_decides(catalog: CompiledCatalog) -> None:
    result = evaluate(visit("death", death_of_the_head(), defaults=False), catalog)
    by_id = {q.id: q for q in result.questions}
    assert {"nhi-withdraw", "funeral-expenses"} <= set(by_id["members.0.insurance"].decides)
    assert "pension-survivor" in by_id["members.0.receiving_pension"].decides
    for group in {q.member for q in result.questions}:
        counts = [len(q.decides) for q in result.questions if q.member == group]
        assert counts == sorted(counts, reverse=True)


TWO_REASONS = """\
catalog: {id: t, version: "1", title: test}
departments: [{id: d, name: 市民課}]
counters: [{id: c, name: 窓口, department: d, floor: 1, order: 1}]
questions:
  - {id: has_dog, text: {ja: 犬を飼っていますか, en: dog}}
  - {id: has_cat, text: {ja: 猫を飼っていますか, en: cat}}
procedures:
  - id: pets
    name: ペットの届出
    department: d
    counter: c
    rules:
      - {reason: 犬がいるため, when: {fact: has_dog}}
      - {reason: 猫がいるため, when: {fact: has_cat}}
"""


def test_a_question_that_only_adds_a_reason_is_not_asked() -> None:
    catalog = parse_catalog(TWO_REASONS)
    record = visit("moving-in", [person("世帯主", "1986-05-05")], defaults=False)
    assert [q.id for q in evaluate(record, catalog).questions] == ["has_dog", "has_cat"]
    # a dog already makes the procedure needed: whether there is a cat changes nothing
    with_dog = evaluate(record, catalog, {"has_dog": "true"})
    assert [p.id for p in with_dog.procedures] == ["pets"]
    assert with_dog.questions == []


def test_a_question_deciding_what_to_bring_is_asked(catalog: CompiledCatalog) -> None:
    # 65+: 介護保険 is needed anyway, but a certification adds the 受給資格証明書 to bring
    record = visit("moving-in", [person("世帯主", "1950-01-01", care=None)])
    (question,) = [q for q in evaluate(record, catalog).questions if q.member == 0]
    assert (question.id, question.decides) == ("members.0.care_certified", ["care-enroll"])
    # under 40 the certification changes nothing: not asked
    record = visit("moving-in", [person("世帯主", "1996-01-01", care=None)])
    assert evaluate(record, catalog).questions == []


def test_wakaranai_lists_the_procedure_as_to_be_checked(catalog: CompiledCatalog) -> None:
    record = visit("moving-in", [person("世帯主", "1976-01-01", care=None)])
    result = evaluate(record, catalog, {"members.0.care_certified": "わからない"})
    assert "members.0.care_certified" not in {q.id for q in result.questions}
    care = next(p for p in result.procedures if p.id == "care-enroll")
    assert care.uncertain is True
    assert care.members == [0]
    assert any(note.startswith("要確認") and "要介護" in note for note in care.notes)
    # the unresolved question is kept on the record for the back office
    unresolved = VisitRecord.model_validate(
        {
            **record.model_dump(by_alias=True),
            "unresolved": [{"question": "members.0.care_certified", "reason": "本人不在"}],
        }
    )
    assert [p.id for p in evaluate(unresolved, catalog).procedures] == [
        p.id for p in result.procedures
    ]
    # a later answer replaces the わからない
    sure = evaluate(unresolved, catalog, {"members.0.care_certified": "いいえ"})
    assert "care-enroll" not in {p.id for p in sure.procedures}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("members.0.nationality", "members.0.nationality"),
        ("members.0.members.0.nationality", "members.0.nationality"),
        ("members.2.members.2.members.2.care_certified", "members.2.care_certified"),
        ("has_dog", "has_dog"),
    ],
)
def test_a_doubled_member_prefix_is_read_once(key: str, expected: str) -> None:
    assert normalise_key(key) == expected


def test_doubled_prefix_in_answers_and_stored_facts(catalog: CompiledCatalog) -> None:
    member = person("世帯主", "1986-05-05")
    del member["nationality"]
    record = visit("moving-in", [member])
    assert "members.0.nationality" in {q.id for q in evaluate(record, catalog).questions}
    answered = evaluate(record, catalog, {"members.0.members.0.nationality": "VN"})
    assert "foreign-resident-address" in {p.id for p in answered.procedures}
    stored = visit("moving-in", [member], facts={"members.0.members.0.nationality": "VN"})
    assert "foreign-resident-address" in {p.id for p in evaluate(stored, catalog).procedures}
    with pytest.raises(InvalidAnswer):
        evaluate(record, catalog, {"members.0.members.1.nationality": "VN"})
