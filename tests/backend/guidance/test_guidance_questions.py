"""Unknown facts become questions (never guesses); answers set facts; the guide CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from guidance_builders import OTHER_PREFECTURE, person, visit
from typer.testing import CliRunner

from backend.cli import build_app
from backend.guidance.catalog import CompiledCatalog
from backend.guidance.engine import evaluate
from backend.guidance.errors import InvalidAnswer


def ids(catalog: CompiledCatalog, record, answers=None) -> tuple[set[str], list[str]]:  # type: ignore[no-untyped-def]
    result = evaluate(record, catalog, answers)
    return {p.id for p in result.procedures}, [q.id for q in result.questions]


def test_unknown_dog_is_asked_not_guessed(catalog: CompiledCatalog) -> None:
    record = visit("moving-in", [person("世帯主", "1986-05-05")], facts={"has_dog": None})
    procedures, questions = ids(catalog, record)
    assert "dog-registration" not in procedures
    assert questions == ["has_dog"]
    procedures, questions = ids(catalog, record, {"has_dog": "はい"})
    assert "dog-registration" in procedures and questions == []


def test_only_questions_that_could_change_the_result(catalog: CompiledCatalog) -> None:
    # from abroad: the move-out certificate is not needed, so special move-in is not asked.
    record = visit(
        "moving-in",
        [person("世帯主", "1986-05-05")],
        facts={"from_abroad": True, "special_move_in": None},
    )
    assert ids(catalog, record)[1] == []
    # a single adult: no child, so no childcare or school question even when unknown.
    record = visit("moving-in", [person("世帯主", "1986-05-05")], defaults=False)
    questions = ids(catalog, record)[1]
    assert "members.0.needs_childcare" not in questions
    assert "school_district_changed" not in questions
    assert "members.0.care_certified" not in questions  # under 40


def test_member_question_names_the_member(catalog: CompiledCatalog) -> None:
    record = visit("moving-in", [person("世帯主", "1986-05-05", insurance=None)])
    result = evaluate(record, catalog)
    (question,) = [q for q in result.questions if q.id == "members.0.insurance"]
    assert question.member == 0
    assert question.type == "choice"
    assert question.text["ja"].startswith("世帯主（40歳）の健康保険")
    answered = evaluate(record, catalog, {"members.0.insurance": "national_health"})
    assert "nhi-enroll" in {p.id for p in answered.procedures}


def test_unknown_age_asks_for_birth_date(catalog: CompiledCatalog) -> None:
    member = person("長男", "2019-06-01")
    del member["birth_date"]
    record = visit("moving-in", [person("世帯主", "1986-05-05"), member])
    procedures, questions = ids(catalog, record)
    assert "members.1.birth_date" in questions
    assert "school-transfer" not in procedures
    procedures, questions = ids(catalog, record, {"members.1.birth_date": "2019-06-01"})
    assert "school-transfer" in procedures and questions == []


def test_unknown_prefecture_is_asked_only_when_it_matters(catalog: CompiledCatalog) -> None:
    elderly = person("世帯主", "1946-01-01", insurance="late_elderly")
    record = visit("moving-in", [elderly], previous="住所不明")
    assert ids(catalog, record)[1] == ["prefecture_changed"]
    assert (
        ids(catalog, visit("moving-in", [person("世帯主", "1986-05-05")], previous=None))[1] == []
    )
    answered = evaluate(record, catalog, {"prefecture_changed": "true"})
    (late,) = [p for p in answered.procedures if p.id == "late-elderly-enroll"]
    assert any("負担区分" in item for item in late.items)
    assert ids(catalog, visit("moving-in", [elderly], previous=OTHER_PREFECTURE))[1] == []


def test_death_without_marked_deceased_asks_who(catalog: CompiledCatalog) -> None:
    record = visit("death", [person("世帯主", "1950-01-01"), person("妻", "1952-01-01")])
    procedures, questions = ids(catalog, record)
    assert procedures == set()
    assert {"members.0.deceased", "members.1.deceased"} <= set(questions)


def test_household_fact_answers_every_member(catalog: CompiledCatalog) -> None:
    record = visit(
        "moving-in",
        [
            person("世帯主", "1986-05-05", disability=None),
            person("妻", "1988-05-05", disability=None),
        ],
    )
    assert {"members.0.disability_certificate", "members.1.disability_certificate"} <= set(
        ids(catalog, record)[1]
    )
    assert ids(catalog, record, {"disability_certificate": "false"})[1] == []


def test_card_read_means_card_held(catalog: CompiledCatalog) -> None:
    record = visit("moving-in", [person("世帯主", "1986-05-05", card=True)], defaults=False)
    assert "members.0.has_my_number_card" not in ids(catalog, record)[1]


def test_route_order_and_deadlines(catalog: CompiledCatalog) -> None:
    record = visit(
        "moving-in",
        [
            person("世帯主", "1986-05-05", insurance="national_health", card=True),
            person("長男", "2019-06-01", insurance="national_health"),
        ],
        facts={"has_dog": True},
    )
    result = evaluate(record, catalog)
    assert [p.id for p in result.procedures] == [
        "moving-in-notice",
        "my-number-card-address",
        "signature-certificate-reissue",
        "nhi-enroll",
        "child-allowance",
        "child-medical",
        "dog-registration",
        "school-transfer",
    ]
    by_id = {p.id: p for p in result.procedures}
    assert str(by_id["moving-in-notice"].deadline) == "2026-12-04"
    assert str(by_id["child-allowance"].deadline) == "2026-12-05"
    assert str(by_id["my-number-card-address"].deadline) == "2027-02-18"
    assert by_id["nhi-enroll"].needs_individual_number is True
    assert by_id["school-transfer"].members == [1]
    assert result.totals.counters == 6
    assert result.totals.minutes == sum(p.minutes for p in result.procedures)


def test_death_and_birth_deadlines_count_the_first_day(catalog: CompiledCatalog) -> None:
    death = evaluate(visit("death", [person("世帯主", "1950-01-01", deceased=True)]), catalog)
    assert str(death.procedures[0].deadline) == "2026-11-26"
    birth = evaluate(visit("birth", [person("長男", "2026-11-20")]), catalog)
    assert str(birth.procedures[0].deadline) == "2026-12-03"


@pytest.mark.parametrize(
    "answers",
    [
        {"has_dog": "maybe"},
        {"members.9.insurance": "employee"},
        {"members.0.insurance": "private"},
        {"members.x.insurance": "employee"},
        {"members.0.birth_date": "yesterday"},
    ],
)
def test_invalid_answers_are_refused(catalog: CompiledCatalog, answers: dict[str, str]) -> None:
    with pytest.raises(InvalidAnswer):
        evaluate(visit("moving-in", [person("世帯主", "1986-05-05")]), catalog, answers)


def test_guide_cli_json_contract(tmp_path: Path) -> None:
    record = visit(
        "moving-in",
        [person("世帯主", "1986-05-05"), person("長男", "2019-06-01")],
        facts={"has_dog": None},
    )
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(record.to_json_dict(), ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    app = build_app()
    first = runner.invoke(app, ["guide", "--visit", str(visit_file), "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert set(data) >= {"procedures", "questions", "totals"}
    assert [q["id"] for q in data["questions"]] == ["has_dog"]
    school = next(p for p in data["procedures"] if p["id"] == "school-transfer")
    assert set(school) >= {
        "id", "name", "department", "counter", "reasons", "items", "fee_yen", "deadline",
        "minutes", "forms",
    }  # fmt: skip
    assert school["reasons"] == ["長男（7歳）が学齢期のため"]
    second = runner.invoke(
        app, ["guide", "--visit", str(visit_file), "--answer", "has_dog=true", "--json"]
    )
    data = json.loads(second.output)
    assert data["questions"] == []
    assert "dog-registration" in [p["id"] for p in data["procedures"]]
    bad = runner.invoke(app, ["guide", "--visit", str(visit_file), "--answer", "has_dog"])
    assert bad.exit_code == 2
