"""The life-event fields on the forms, read back from the PDFs' text (synthetic people only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contracts import (
    Applicant,
    Certificate,
    CounterRef,
    GuidanceResult,
    Member,
    ProcedureResult,
    Representative,
    TenantRef,
    VisitRecord,
)
from forms import render_form
from forms.data import address_on_january_first, certificate_subjects, movers
from forms.errors import NotIssuedHereError
from forms.stamping import preview_of, render_unsigned
from tests.helpers.forms_samples import signature
from tests.helpers.pdf import as_extracted, pdf_text

pytestmark = pytest.mark.usefixtures("poppler")

EVERY_FIELD = Path(__file__).parents[1] / "data" / "visit-every-field.json"
HERE = "デモ県窓口デモ市本町１－２－３"
THERE = "試験県仮野市中央３－４－５"


def _text(tmp_path: Path, form: str, record: VisitRecord, **kwargs: object) -> str:
    path = tmp_path / f"{form}.pdf"
    path.write_bytes(render_form(form, record, **kwargs).content)  # type: ignore[arg-type]
    # Content order, without the spaces and line breaks between a caption and its value.
    return as_extracted(pdf_text(path)).replace(" ", "").replace("\n", "")


def _every_field() -> VisitRecord:
    return VisitRecord.model_validate_json(EVERY_FIELD.read_text("utf-8"))


def _record(event: str, event_date: dt.date, **update: object) -> VisitRecord:
    """One adult; moving from THERE to HERE (転出: from HERE to THERE)."""
    out = event == "moving-out"
    data: dict[str, object] = {
        "tenant": TenantRef(code="991007", name="窓口デモ市"),
        "event": event,
        "event_date": event_date,
        "filed_on": event_date,
        "previous_address": HERE if out else THERE,
        "new_address": THERE if out else HERE,
        "applicant": Applicant(name="窓口　太郎", relationship="本人"),
        "members": [
            Member(name="窓口　太郎", kana="マドグチ　タロウ", birth_date=dt.date(1978, 4, 1)),
            Member(name="窓口　花子", kana="マドグチ　ハナコ", birth_date=dt.date(1981, 9, 15)),
            Member(name="窓口　次郎", kana="マドグチ　ジロウ", birth_date=dt.date(2010, 1, 1)),
            Member(name="窓口　三郎", kana="マドグチ　サブロウ", birth_date=dt.date(2012, 1, 1)),
        ],
        "certificates": [Certificate(kind="tax", fiscal_year=2026, tax_kind="income")],
    }
    return VisitRecord.model_validate({**data, **update})


def _guidance(*ids: str) -> GuidanceResult:
    counter = CounterRef(id="c", name="保険年金課")
    return GuidanceResult(
        procedures=[
            ProcedureResult(id=i, name=i, department="保険年金課", counter=counter, reasons=["r"])
            for i in ids
        ]
    )


# --- 所得・課税証明書 -------------------------------------------------------------------------


def test_moving_out_tax_form_prints_this_towns_address_not_the_destination(
    tmp_path: Path,
) -> None:
    record = _record("moving-out", dt.date(2026, 12, 10))
    text = _text(tmp_path, "tax-certificate-request", record)
    assert as_extracted(f"現住所{HERE}") in text
    assert as_extracted(f"1月1日現在の住所{HERE}") in text
    assert THERE not in text


def test_moving_in_after_january_first_is_refused_and_gets_a_postal_request(
    tmp_path: Path,
) -> None:
    record = _record("moving-in", dt.date(2026, 11, 20))
    with pytest.raises(NotIssuedHereError) as refused:
        render_form("tax-certificate-request", record)
    assert "前の市区町村" in refused.value.message
    letter = _text(tmp_path, "tax-certificate-postal-request", record)
    assert "郵送請求書" in letter
    assert f"1月1日現在の住所（請求先）{THERE}" in letter
    assert f"現住所（証明書の送付先）{HERE}" in letter
    assert "令和8年度" in letter and "令和7年中" in letter
    assert "✓所得証明書" in letter
    assert "定額小為替" in letter and "返信用封筒" in letter


def test_moving_in_before_january_first_is_issued_here(tmp_path: Path) -> None:
    record = _record("moving-in", dt.date(2025, 12, 20))
    text = _text(tmp_path, "tax-certificate-request", record)
    assert f"1月1日現在の住所{HERE}" in text
    # Moving in on 1 January itself: registered here on the day that counts.
    on_the_day = _record("moving-in", dt.date(2026, 1, 1))
    assert address_on_january_first(on_the_day, on_the_day.certificates[0]) == HERE


def test_moving_within_after_january_first_uses_the_old_address() -> None:
    record = _record(
        "moving-within", dt.date(2026, 3, 1), previous_address="デモ県窓口デモ市旧町１"
    )
    assert address_on_january_first(record, record.certificates[0]) == "デモ県窓口デモ市旧町１"


def test_the_records_january_first_address_wins() -> None:
    record = _record(
        "certificate", dt.date(2026, 7, 1), address_on_january_first="デモ県窓口デモ市東町２"
    )
    assert address_on_january_first(record, record.certificates[0]) == "デモ県窓口デモ市東町２"


def test_tax_form_lists_exactly_the_certificates_members(tmp_path: Path) -> None:
    record = _record("certificate", dt.date(2026, 7, 1))
    one = _text(tmp_path, "tax-certificate-request", record)
    assert "窓口太郎" in one and "窓口花子" not in one
    cert = Certificate(kind="tax", fiscal_year=2026, members=[1, 2])
    two = _text(
        tmp_path, "tax-certificate-request", record.model_copy(update={"certificates": [cert]})
    )
    assert "窓口花子" in two and "窓口次郎" in two
    assert "マドグチタロウ" not in two  # the 申請者, not a subject


def test_certificate_subjects_rule() -> None:
    record = _record("certificate", dt.date(2026, 7, 1))
    assert certificate_subjects(record, Certificate(kind="tax", members=[3, 1, 3, 9])) == [3, 1]
    assert certificate_subjects(record, Certificate(kind="residence", scope="household")) == [
        0,
        1,
        2,
        3,
    ]
    assert certificate_subjects(record, Certificate(kind="tax")) == [0]
    applicant = Applicant(name="窓口　花子", relationship="妻", member=1)
    with_applicant = record.model_copy(update={"applicant": applicant})
    assert certificate_subjects(with_applicant, Certificate(kind="tax")) == [1]


# --- 住民異動届 ---------------------------------------------------------------------------------


def test_moving_notice_prints_every_new_field_of_the_sample(tmp_path: Path) -> None:
    record = _every_field()
    guidance = _guidance("nhi-enroll", "late-elderly-enroll", "child-allowance-address")
    text = _text(tmp_path, "moving-notice", record, guidance=guidance)
    for value in [
        "試験県仮野市中央３丁目４番",  # 本籍
        "筆頭者窓口太郎",
        "新世帯主（変わるとき）窓口花子",
        "届出人住所",
        "代理人氏名",
        "代理一郎",
        "デモ県窓口デモ市栄町９－８－７",
        "知人",
        "✓提出あり",  # 委任状
        "ブラジル",
        "定住者",
        "通称葛\U000e0102西アナ",  # an ideographic variation sequence, kept
        "住民となった日令和元年10月1日",
        "✓継続利用",
        "✓特例転入",
        "受付番号A-0012026-12-02",
    ]:
        assert value in text, value
    # 窓口 花子 was read from her card, which holds no ふりがな: a line to write on.
    assert text.count("ご記入ください") == 1 + 1  # the note beside the signature, and hers
    assert "BR" not in text
    assert "窓口次郎" not in text  # concerned: false — he does not move
    assert "国外からの転入" in text and "✓国外からの転入" not in text
    # 国保, 後期, 児童手当 ticked from the procedures; 介護 and 年金 not.
    assert text.count("✓手続きあり") == 3


def test_moving_notice_office_boxes_follow_the_procedures(tmp_path: Path) -> None:
    record = _record("moving-in", dt.date(2025, 12, 20))
    none = _text(tmp_path, "moving-notice", record, guidance=_guidance("moving-in-notice"))
    assert "✓手続きあり" not in none
    care = _text(tmp_path, "moving-notice", record, guidance=_guidance("care-enroll"))
    assert care.count("✓手続きあり") == 1


def test_moving_notice_abroad_boxes(tmp_path: Path) -> None:
    into = _record("moving-in", dt.date(2026, 5, 1), facts={"from_abroad": True})
    assert "✓国外からの転入" in _text(tmp_path, "moving-notice", into)
    out = _record("moving-out", dt.date(2026, 5, 1), facts={"to_abroad": True})
    text = _text(tmp_path, "moving-notice", out)
    assert "✓国外への転出" in text and "✓国外からの転入" not in text


def test_movers() -> None:
    record = _record("moving-out", dt.date(2026, 5, 1))
    assert movers(record) == [0, 1, 2, 3]  # nobody marked: everyone moves
    members = [m.model_copy(update={"concerned": i == 2}) for i, m in enumerate(record.members)]
    assert movers(record.model_copy(update={"members": members})) == [2]
    staying = [m.model_copy(update={"concerned": i != 0 and None}) for i, m in enumerate(members)]
    assert movers(record.model_copy(update={"members": staying})) == [1, 2, 3]


def test_kana_from_the_record_is_printed_and_no_prompt_then(tmp_path: Path) -> None:
    text = _text(tmp_path, "moving-notice", _record("moving-in", dt.date(2026, 5, 1)))
    assert "マドグチタロウ" in text
    assert text.count("ご記入ください") == 1  # only the note beside the signature


# --- 住民票の写し等交付請求書 -------------------------------------------------------------


def test_residence_request_kinds_requester_and_items(tmp_path: Path) -> None:
    text = _text(tmp_path, "residence-certificate-request", _every_field())
    for value in [
        "✓住民票の写し",
        "✓除票の写し",
        "✓戸籍の附票の写し",
        "2通",
        "✓代理人",
        "✓提出あり",
        "請求者氏名代理一郎",
        "請求者住所デモ県窓口デモ市栄町９－８－７",
        "✓世帯主・続柄",
        "✓本籍・筆頭者",
        "勤務先へ提出・相続手続き",
    ]:
        assert value in text, value
    assert "✓個人番号" not in text and "✓本人" not in text


def test_residence_request_only_removed_residence(tmp_path: Path) -> None:
    record = _record(
        "certificate",
        dt.date(2026, 7, 1),
        certificates=[Certificate(kind="residence_removed", members=[1], include=["domicile"])],
        representative=None,
    )
    text = _text(tmp_path, "residence-certificate-request", record)
    assert "✓除票の写し" in text and "✓住民票の写し" not in text
    assert "窓口花子" in text and "窓口太郎" in text  # the subject, and the requester
    assert text.index("請求者氏名窓口太郎") < text.index("窓口花子")


def test_representative_is_the_requester_not_the_subject(tmp_path: Path) -> None:
    rep = Representative(name="代理　一郎", relationship="知人", power_of_attorney=False)
    record = _record(
        "certificate",
        dt.date(2026, 7, 1),
        certificates=[Certificate(kind="residence", members=[0])],
        representative=rep,
    )
    text = _text(tmp_path, "residence-certificate-request", record)
    assert "請求者氏名代理一郎" in text and "✓代理人" in text
    assert "✓提出あり" not in text  # no 委任状 noted


# --- 見本 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form", ["moving-notice", "residence-certificate-request", "tax-certificate-postal-request"]
)
def test_unsigned_preview_says_sample_and_signed_never(tmp_path: Path, form: str) -> None:
    record = _every_field()
    preview = tmp_path / "preview.pdf"
    preview.write_bytes(preview_of(render_unsigned(form, record), form).content)
    # poppler breaks the slanted 見本 into one line a glyph
    assert "見本" in as_extracted(pdf_text(preview)).replace("\n", "")
    assert "見本" not in _text(tmp_path, form, record).replace("見本県", "")  # the shared base
    assert "見本" not in _text(tmp_path, form, record, signature=signature()).replace("見本県", "")


def test_checklist_has_no_signature_and_no_watermark(tmp_path: Path) -> None:
    text = _text(tmp_path, "checklist", _every_field(), guidance=_guidance("nhi-enroll"))
    assert "見本" not in text


def test_a_household_applicant_is_not_asked_for_the_address_again(tmp_path: Path) -> None:
    record = _record("moving-out", dt.date(2026, 12, 10))  # applicant: 本人, no address given
    assert f"申請者住所{HERE}" in _text(tmp_path, "tax-certificate-request", record)
    outsider = Applicant(name="他市　太郎", relationship="知人")
    text = _text(
        tmp_path, "tax-certificate-request", record.model_copy(update={"applicant": outsider})
    )
    assert "申請者住所" in text and f"申請者住所{HERE}" not in text


def test_on_a_death_the_sheet_is_the_head_change_for_those_who_remain(tmp_path: Path) -> None:
    record = _record("death", dt.date(2026, 5, 1), new_household_head="窓口　花子")
    members = [m.model_copy(update={"deceased": i == 0}) for i, m in enumerate(record.members)]
    text = _text(tmp_path, "moving-notice", record.model_copy(update={"members": members}))
    assert "✓世帯主変更" in text and "新世帯主（変わるとき）窓口花子" in text
    assert "マドグチタロウ" not in text  # the deceased is not listed
    assert "マドグチハナコ" in text and "マドグチサブロウ" in text
