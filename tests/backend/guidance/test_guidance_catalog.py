"""Catalog loading: the default sample is valid and complete; errors name file, line, field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import build_app
from backend.guidance.catalog import DEFAULT_CATALOG_PATH, CompiledCatalog, parse_catalog
from backend.guidance.conditions import leading_prefecture, prefecture_changed, school_grade
from backend.guidance.errors import CatalogInvalid

MINIMAL = """\
catalog: {id: t, version: "1", title: test}
departments:
  - {id: d, name: 市民課}
counters:
  - {id: c, name: 窓口, department: d, floor: 1, order: 1}
questions:
  - id: has_dog
    text: {ja: 犬, en: dog}
procedures:
  - id: p
    name: 手続
    department: d
    counter: c
    rules:
      - reason: 犬がいるため
        when: {fact: has_dog}
"""


def issues_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(CatalogInvalid) as caught:
        parse_catalog(text, "t.yaml")
    return [(issue.line, issue.field, issue.message) for issue in caught.value.issues]


def test_minimal_catalog_loads() -> None:
    assert parse_catalog(MINIMAL).version_label == "t@1"


def test_default_catalog_is_marked_sample_and_broad(catalog: CompiledCatalog) -> None:
    spec = catalog.spec
    assert spec.catalog.sample is True
    assert len(spec.procedures) >= 40
    assert len(spec.departments) >= 10
    events = {event for procedure in spec.procedures for event in procedure.events}
    assert events >= {
        "moving-in",
        "moving-out",
        "moving-within",
        "birth",
        "death",
        "marriage",
        "divorce",
        "household-change",
    }
    assert "見本" in DEFAULT_CATALOG_PATH.read_text(encoding="utf-8").splitlines()[0]


def test_every_sample_procedure_names_its_source(catalog: CompiledCatalog) -> None:
    """A clerk (and the municipality adapting the sample) can check each entry: a law, a
    ministry or municipal page (issue 15)."""
    unsourced = [p.id for p in catalog.spec.procedures if not (p.source or "").strip()]
    assert unsourced == []


def test_wrong_type_names_line_and_field() -> None:
    text = MINIMAL.replace("floor: 1, order: 1", "floor: one, order: 1")
    ((line, field, message),) = issues_of(text)
    assert (line, field) == (5, "counters[0].floor")
    assert "integer" in message


def test_unknown_form_names_its_line() -> None:
    text = MINIMAL + "    forms: [moving-notice, shopping-list]\n"
    ((line, field, _),) = issues_of(text)
    assert (line, field) == (17, "procedures[0].forms[1]")


def test_condition_typo_names_line_inside_the_condition() -> None:
    text = MINIMAL.replace("when: {fact: has_dog}", "when:\n          all:\n            - fakt: x")
    ((line, field, message),) = issues_of(text)
    assert (line, field) == (18, "procedures[0].rules[0].when.all[0].fakt")
    assert "fakt" in message


def test_fact_without_question_is_refused() -> None:
    text = MINIMAL.replace("{fact: has_dog}", "{fact: has_cat}")
    ((line, field, message),) = issues_of(text)
    assert (line, field) == (16, "procedures[0].rules[0].when")
    assert "has_cat" in message


def test_unknown_counter_and_duplicate_id() -> None:
    text = MINIMAL.replace("counter: c\n", "counter: nowhere\n").replace(
        "  - {id: d, name: 市民課}", "  - {id: d, name: 市民課}\n  - {id: d, name: 二重}"
    )
    found = {(line, field) for line, field, _ in issues_of(text)}
    assert found == {(4, "departments[1].id"), (14, "procedures[0].counter")}


def test_member_placeholder_needs_member_condition() -> None:
    text = MINIMAL.replace("reason: 犬がいるため", 'reason: "{member}の犬"')
    ((line, field, _),) = issues_of(text)
    assert (line, field) == (15, "procedures[0].rules[0].reason")


def test_yaml_syntax_error_has_a_line() -> None:
    ((line, field, _),) = issues_of(MINIMAL + "  - id: [unclosed\n")
    assert line is not None and line >= 17
    assert field == ""


def test_duplicate_key_is_reported() -> None:
    text = MINIMAL.replace("    name: 手続\n", "    name: 手続\n    name: 二重\n")
    ((line, field, _),) = issues_of(text)
    assert (line, field) == (12, "procedures[0].name")


def test_cli_validate(tmp_path: Path) -> None:
    runner = CliRunner()
    app = build_app()
    good = runner.invoke(app, ["catalog", "validate", str(DEFAULT_CATALOG_PATH)])
    assert good.exit_code == 0, good.output
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(MINIMAL.replace("floor: 1", "floor: one"), encoding="utf-8")
    bad = runner.invoke(app, ["catalog", "validate", str(bad_file)])
    assert bad.exit_code == 1
    assert f"{bad_file}:5: counters[0].floor: " in bad.output


@pytest.mark.parametrize(
    ("born", "grade"),
    [
        ("2020-04-01", 1),
        ("2020-04-02", 0),
        ("2019-04-02", 1),
        ("2019-04-01", 2),
        ("2011-04-02", 9),
        ("2026-11-20", -6),
    ],
)
def test_school_grade(born: str, grade: int) -> None:
    assert school_grade(dt.date.fromisoformat(born), dt.date(2026, 11, 20)) == grade


def test_school_grade_before_april_uses_previous_school_year() -> None:
    assert school_grade(dt.date(2019, 6, 1), dt.date(2026, 3, 31)) == 0
    assert school_grade(dt.date(2019, 6, 1), dt.date(2026, 4, 1)) == 1


def test_prefecture_parsing() -> None:
    assert leading_prefecture("〒102-0074 東京都千代田区九段南") == "東京都"
    assert leading_prefecture("京都府京都市") == "京都府"
    assert leading_prefecture("ベトナム ハノイ") is None
    assert prefecture_changed("大阪府大阪市", "東京都千代田区") is True
    assert prefecture_changed("東京都清瀬市", "東京都千代田区") is False
    assert prefecture_changed(None, "東京都千代田区") is None
