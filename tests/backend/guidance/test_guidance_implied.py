"""What the record implies (backend/guidance/implied.py): addresses abroad, a 新世帯主, divorce."""

from __future__ import annotations

from typing import Any

import pytest
from guidance_builders import HERE, OTHER_PREFECTURE, SAME_PREFECTURE, person, visit

from backend.guidance.catalog import CompiledCatalog
from backend.guidance.engine import build_view, evaluate
from backend.guidance.implied import address_abroad, head_changes, imply_household
from contracts import VisitRecord

ABROAD = "アメリカ合衆国カリフォルニア州サンノゼ市見本通り１２３"


@pytest.mark.parametrize(
    ("address", "abroad"),
    [
        (ABROAD, True),
        ("ベトナム社会主義共和国ハノイ市見本区４５", True),
        ("大韓民国ソウル特別市見本路１", True),
        ("国外", True),
        (HERE, False),
        (OTHER_PREFECTURE, False),
        ("窓口県窓口デモ市本町１－２－３", False),  # a prefecture not in the list of 47
        ("千代田区九段南１－２－１", None),  # no prefecture written: not known
        ("", None),
        (None, None),
    ],
)
def test_an_address_is_abroad_when_it_starts_with_a_country(
    address: str | None, abroad: bool | None
) -> None:
    assert address_abroad(address) is abroad


def _household_facts(
    previous: str | None, new: str | None, facts: dict[str, Any] | None = None
) -> dict[str, Any]:
    record = visit("moving-in", [person("世帯主", "1990-01-01")], previous=previous, new=new)
    implied: dict[str, Any] = dict(facts or {})
    imply_household(record, implied)
    return implied


def test_a_previous_address_abroad_means_from_abroad_and_no_special_move_in() -> None:
    facts = _household_facts(ABROAD, HERE)
    assert facts["from_abroad"] is True
    assert facts["special_move_in"] is False
    assert facts["to_abroad"] is False


def test_a_new_address_abroad_means_moving_abroad() -> None:
    facts = _household_facts(HERE, ABROAD)
    assert facts["to_abroad"] is True
    assert facts["from_abroad"] is False
    assert "prefecture_changed" not in facts  # abroad: no prefecture to compare


def test_an_address_in_japan_answers_both_and_the_prefecture() -> None:
    facts = _household_facts(SAME_PREFECTURE, OTHER_PREFECTURE)
    assert facts == {"prefecture_changed": True, "from_abroad": False, "to_abroad": False}


def test_an_answer_given_at_the_counter_wins_over_the_address() -> None:
    facts = _household_facts(ABROAD, HERE, {"from_abroad": False, "special_move_in": True})
    assert facts["from_abroad"] is False and facts["special_move_in"] is True


def _with_heads(
    head: str | None, new_head: str | None, relationship: str = "世帯主"
) -> VisitRecord:
    members = [person(relationship, "1960-01-01", insurance="national_health")]
    record = visit("household-change", members, facts={"head_changes": None})
    data = record.model_dump(by_alias=True)
    return VisitRecord.model_validate(
        {**data, "household_head": head, "new_household_head": new_head}
    )


def test_a_new_head_other_than_the_head_means_the_head_changes() -> None:
    assert head_changes(_with_heads("見本　世帯主", "見本　長男")) is True
    # the same person written with another width or space: no change
    assert head_changes(_with_heads("見本　世帯主", "見本 世帯主")) is False
    assert head_changes(_with_heads("見本　世帯主", None)) is None
    # no head on the record: the member marked 世帯主 is the head
    assert head_changes(_with_heads(None, "見本　世帯主")) is False
    assert head_changes(_with_heads(None, "見本　長男")) is True
    # nobody known as the head: a new head is named only when it changes
    assert head_changes(_with_heads(None, "見本　長男", relationship="妻")) is True


def test_a_new_head_on_the_record_is_not_asked(catalog: CompiledCatalog) -> None:
    record = _with_heads("見本　世帯主", "見本　長男")
    result = evaluate(record, catalog)
    assert "head_changes" not in {q.id for q in result.questions}
    assert "head-change" in {p.id for p in result.procedures}


def _divorce(*members: dict[str, Any]) -> VisitRecord:
    return visit("divorce", list(members), defaults=False)


def test_in_a_divorce_only_the_spouse_concerned_changes_surname(
    catalog: CompiledCatalog,
) -> None:
    spouse = {**person("世帯主", "1990-07-07"), "concerned": True}
    view = build_view(_divorce(spouse, person("長女", "2012-07-07")), catalog)
    spouse_view, child_view = view.members
    assert spouse_view.values["name_changes"] is None  # theirs is asked
    assert child_view.values["concerned"] is False
    assert child_view.values["name_changes"] is False  # 子の氏の変更 is its own question


def test_in_a_divorce_nobody_marked_implies_nothing(catalog: CompiledCatalog) -> None:
    view = build_view(
        _divorce(person("世帯主", "1990-07-07"), person("長女", "2012-07-07")), catalog
    )
    assert [m.values["name_changes"] for m in view.members] == [None, None]


def test_a_childs_surname_change_is_the_entry_notice(catalog: CompiledCatalog) -> None:
    spouse = {**person("世帯主", "1987-03-03"), "concerned": True}
    record = _divorce(spouse, person("長男", "2013-03-03"))
    result = evaluate(record, catalog, {"child_surname_change": True})
    assert "child-entry-notice" in {p.id for p in result.procedures}
    assert "members.1.name_changes" not in {q.id for q in result.questions}
