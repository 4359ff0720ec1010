"""A guidance result in the resident's language, beside the Japanese (backend.guidance.localize)."""

from __future__ import annotations

import re

from backend.guidance.catalog import CompiledCatalog
from backend.guidance.engine import UNRESOLVED_NOTE, evaluate
from backend.guidance.localize import localize, member_label
from contracts import GuidanceResult
from tests.backend.guidance.guidance_builders import person, visit

KANA = re.compile(r"[\u3040-\u30ff]")


def foreign_family_moving_in(catalog: CompiledCatalog) -> GuidanceResult:
    record = visit(
        "moving-in",
        [
            person(
                "世帯主", "1980-02-17", insurance="national_health", nationality="VN", card=True
            ),
            person("子", "2018-05-01", insurance="national_health", nationality="VN"),
        ],
        previous=None,
        facts={"from_abroad": True},
    )
    return evaluate(record, catalog)


def test_each_procedure_gets_its_texts_in_the_language_beside_the_japanese(
    catalog: CompiledCatalog,
) -> None:
    result = foreign_family_moving_in(catalog)
    local = localize(result, "vi", catalog)
    assert local.lang == "vi"
    first = local.procedures[0]
    assert first.name == "転入届"  # the Japanese stays
    assert first.local is not None
    assert first.local.name == "Thông báo chuyển đến"
    assert first.local.counter == "Phòng Thị dân – Thay đổi địa chỉ"
    assert first.local.floor == "Tầng 1"
    assert len(first.local.items) == len(first.items)
    for procedure in local.procedures:
        assert procedure.local is not None
        texts = [procedure.local.name, *procedure.local.reasons, *procedure.local.items]
        texts += procedure.local.notes
        assert not [t for t in texts if KANA.search(t)], procedure.id


def test_a_reason_about_a_member_names_the_member_in_the_language(
    catalog: CompiledCatalog,
) -> None:
    local = localize(foreign_family_moving_in(catalog), "en", catalog)
    residence = next(p for p in local.procedures if p.id == "foreign-resident-address")
    assert residence.reasons[0].startswith("世帯主（46歳）が外国籍")
    assert residence.local is not None
    assert residence.local.reasons == [
        "Head of household (46) is a foreign national and the new address must be written on "
        "the residence card",
        "Child (8) is a foreign national and the new address must be written on the residence card",
    ]
    assert member_label("見本　太郎", "ko") == "見本　太郎"  # a name stays as written
    assert member_label("母（70歳）", "ko") == "어머니(70세)"


def test_questions_get_the_language_and_their_choices(catalog: CompiledCatalog) -> None:
    record = visit("moving-in", [person("世帯主", "1980-02-17", insurance=None)], defaults=False)
    local = localize(evaluate(record, catalog), "ko", catalog)
    by_id = {q.id: q for q in local.questions}
    assert by_id["has_dog"].text["ko"] == "개를 기르고 있습니까?"
    assert by_id["has_dog"].text["ja"] == "犬を飼っていますか"
    insurance = next(q for q in local.questions if q.id.endswith("insurance"))
    assert insurance.text["ko"] == "세대주(46세)의 건강보험은 무엇입니까?"
    assert insurance.choice_text["national_health"] == "국민건강보험"


def test_japanese_or_no_language_leaves_the_result_and_its_hash_as_they_were(
    catalog: CompiledCatalog,
) -> None:
    result = foreign_family_moving_in(catalog)
    assert localize(result, "ja", catalog) is result
    assert localize(result, None, catalog) is result
    data = result.to_json_dict()
    assert "lang" not in data
    assert all("local" not in p for p in data["procedures"])  # signed hashes stay as before
    assert "local" in localize(result, "pt", catalog).to_json_dict()["procedures"][0]


def test_a_note_for_an_unanswerable_question_is_put_into_the_language(
    catalog: CompiledCatalog,
) -> None:
    result = foreign_family_moving_in(catalog)
    first = result.procedures[0]
    noted = first.model_copy(
        update={"notes": [UNRESOLVED_NOTE + "世帯主（46歳）は年金を受け取っていましたか"]}
    )
    result = result.model_copy(update={"procedures": [noted]})
    local = localize(result, "en", catalog).procedures[0].local
    assert local is not None
    assert local.notes == [
        "To be checked (not known): Was head of household (46) receiving a pension?"
    ]
