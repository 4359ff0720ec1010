"""Rules a veteran clerk applies, each with its source in the catalog (sample catalog)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from guidance_builders import person, visit

from backend.guidance.catalog import CompiledCatalog
from backend.guidance.engine import evaluate
from contracts import GuidanceResult


def ids(result: GuidanceResult) -> set[str]:
    return {p.id for p in result.procedures}


def mover(relationship: str, born: str, moves: bool, **extra: Any) -> dict[str, Any]:
    return {**person(relationship, born, **extra), "concerned": moves}


# --- 世帯主変更届 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("survivors", "needed"),
    [
        ([person("妻", "1948-03-03"), person("子", "1975-05-05")], True),
        ([person("妻", "1948-03-03")], False),  # one remains: they are the household
        # the only remaining adult with children under 15: the new head is obvious
        (
            [
                person("妻", "1990-03-03"),
                person("長男", "2015-05-05"),
                person("長女", "2018-01-01"),
            ],
            False,
        ),
        ([person("妻", "1990-03-03"), person("長男", "2010-05-05")], True),  # a 16-year-old
    ],
)
def test_head_change_on_death_only_when_the_new_head_is_not_obvious(
    catalog: CompiledCatalog, survivors: list[dict[str, Any]], needed: bool
) -> None:
    head = person("世帯主", "1960-01-01", deceased=True)
    result = evaluate(visit("death", [head, *survivors]), catalog)
    assert ("head-change" in ids(result)) is needed


def test_head_change_when_the_head_moves_out(catalog: CompiledCatalog) -> None:
    head = mover("世帯主", "1960-01-01", True)
    staying = [mover("妻", "1962-03-03", False), mover("長男", "1995-05-05", False)]
    assert "head-change" in ids(evaluate(visit("moving-out", [head, *staying]), catalog))
    with_a_child = [mover("妻", "1985-03-03", False), mover("長男", "2016-05-05", False)]
    assert "head-change" not in ids(evaluate(visit("moving-out", [head, *with_a_child]), catalog))
    # the whole household moves: nobody remains
    everyone = [person("世帯主", "1960-01-01"), person("妻", "1962-03-03")]
    assert "head-change" not in ids(evaluate(visit("moving-out", everyone), catalog))


# --- 国民年金 ---------------------------------------------------------------------------


def test_pension_moving_in_files_nothing_unless_becoming_first_category(
    catalog: CompiledCatalog,
) -> None:
    first_category = person("世帯主", "1990-01-01", insurance="national_health")
    assert "pension-enroll" not in ids(evaluate(visit("moving-in", [first_category]), catalog))
    for facts in ({"from_abroad": True}, {"members.0.left_employee_insurance": True}):
        result = evaluate(visit("moving-in", [first_category], facts=facts), catalog)
        assert "pension-enroll" in ids(result), facts
    twenty = person("世帯主", "2006-06-01", insurance="national_health")
    (enroll,) = [p for p in evaluate(visit("moving-in", [twenty]), catalog).procedures
                 if p.id == "pension-enroll"]  # fmt: skip
    assert enroll.reasons == ["世帯主（20歳）が20歳になり、国民年金の第1号被保険者になるため"]


def test_moving_abroad_is_its_own_notice(catalog: CompiledCatalog) -> None:
    # its procedures (国民年金 任意加入, カードの継続利用) are in the catalog's issue-15 block
    resident = person("世帯主", "1990-01-01", insurance="national_health", card=True)
    abroad = evaluate(visit("moving-out", [resident], facts={"to_abroad": True}), catalog)
    notice = next(p for p in abroad.procedures if p.id == "moving-out-notice")
    assert "海外へ引っ越すため（国外転出届）" in notice.reasons
    at_home = evaluate(visit("moving-out", [resident]), catalog)
    notice = next(p for p in at_home.procedures if p.id == "moving-out-notice")
    assert notice.reasons == ["市区町村の外へ引っ越すため"]


def test_child_allowance_age_follows_the_event_date(catalog: CompiledCatalog) -> None:
    # through high school from October 2024, through junior high before (dated rules)
    family = [person("世帯主", "1980-01-01"), person("長男", "2008-05-05")]
    before = visit("moving-in", family, event_date=dt.date(2024, 9, 30))
    after = visit("moving-in", family, event_date=dt.date(2024, 10, 1))
    assert "child-allowance" not in ids(evaluate(before, catalog))
    assert "child-allowance" in ids(evaluate(after, catalog))


# --- 署名用電子証明書 ---------------------------------------------------------------------


@pytest.mark.parametrize("event", ["moving-in", "moving-within"])
def test_signature_certificate_lapses_on_an_address_change(
    catalog: CompiledCatalog, event: str
) -> None:
    # a name change (婚姻・離婚) is the catalog's e-certificate-name
    holder = person("世帯主", "1990-01-01", card=True)
    result = evaluate(visit(event, [holder]), catalog)
    (reissue,) = [p for p in result.procedures if p.id == "signature-certificate-reissue"]
    assert reissue.members == [0]
    assert any("利用者証明用" in note for note in reissue.notes)
    without_card = evaluate(visit(event, [person("世帯主", "1990-01-01")]), catalog)
    assert "signature-certificate-reissue" not in ids(without_card)


# --- 特例転入 ---------------------------------------------------------------------------


def test_special_move_in_is_the_moving_in_notice_itself(catalog: CompiledCatalog) -> None:
    holder = person("世帯主", "1990-01-01", card=True)
    special = evaluate(visit("moving-in", [holder], facts={"special_move_in": True}), catalog)
    assert "special-moving-in" in ids(special) and "moving-in-notice" not in ids(special)
    ordinary = evaluate(visit("moving-in", [holder]), catalog)
    assert "moving-in-notice" in ids(ordinary) and "special-moving-in" not in ids(ordinary)
    unknown = evaluate(visit("moving-in", [holder], facts={"special_move_in": None}), catalog)
    (question,) = [q for q in unknown.questions if q.id == "special_move_in"]
    assert {"moving-in-notice", "special-moving-in"} <= set(question.decides)


# --- 児童手当 ---------------------------------------------------------------------------


def test_child_allowance_counts_from_the_planned_move_out_date(catalog: CompiledCatalog) -> None:
    family = [person("世帯主", "1986-01-01"), person("長男", "2018-05-05")]
    planned = {"planned_move_out_date": "2026-11-10"}
    result = evaluate(visit("moving-in", family, facts=planned), catalog)
    allowance = next(p for p in result.procedures if p.id == "child-allowance")
    assert allowance.deadline == dt.date(2026, 11, 25)  # the day after + 15 days
    without = evaluate(visit("moving-in", family), catalog)
    assert next(p for p in without.procedures if p.id == "child-allowance").deadline == dt.date(
        2026, 12, 5
    )


def test_a_birth_in_a_receiving_household_is_a_revision(catalog: CompiledCatalog) -> None:
    first_child = [person("世帯主", "1990-01-01"), person("長男", "2026-11-20")]
    first = evaluate(visit("birth", first_child, defaults=False), catalog)
    # no other child: nobody can be receiving it, so nothing is asked
    assert "child-allowance" in ids(first)
    assert not any(q.id.endswith("receives_child_allowance") for q in first.questions)
    members = [
        person("世帯主", "1990-01-01"),
        person("長女", "2022-01-01"),
        person("長男", "2026-11-20"),
    ]
    new = evaluate(visit("birth", members), catalog)
    assert "child-allowance" in ids(new) and "child-allowance-revision" not in ids(new)
    receiving = evaluate(
        visit("birth", members, facts={"members.0.receives_child_allowance": True}), catalog
    )
    assert "child-allowance-revision" in ids(receiving)
    assert "child-allowance" not in ids(receiving)


# --- sources -----------------------------------------------------------------------------

MENDED = [
    "head-change",
    "pension-enroll",
    "signature-certificate-reissue",
    "moving-in-notice",
    "special-moving-in",
    "child-allowance",
    "child-allowance-revision",
]


@pytest.mark.parametrize("procedure_id", MENDED)
def test_mended_rules_name_their_source(catalog: CompiledCatalog, procedure_id: str) -> None:
    (procedure,) = [p for p in catalog.spec.procedures if p.id == procedure_id]
    conditional = [rule for rule in procedure.rules if rule.when or rule.member]
    assert conditional and all(rule.source for rule in conditional), procedure_id
