"""A certificate names the same people on its form and in the hand-off (PDF, JSON and CSV)."""

from __future__ import annotations

import datetime as dt

from backend.counter.documents import forms_for, handoff_procedures
from backend.guidance.catalog import load_default_catalog
from backend.guidance.engine import evaluate
from contracts import Certificate, Member, TenantRef, VisitRecord
from contracts.handoff import Handoff
from forms.data import BINDINGS
from integrations.csv_rpa import handoff_rows

MEMBERS = [
    Member(name="窓口　太郎", birth_date=dt.date(1978, 4, 1), relationship="世帯主"),
    Member(name="窓口　花子", birth_date=dt.date(1981, 9, 15), relationship="妻"),
    Member(name="窓口　次郎", birth_date=dt.date(2012, 1, 1), relationship="子"),
    Member(name="窓口　三郎", birth_date=dt.date(2014, 1, 1), relationship="子"),
]


def _record(*certificates: Certificate, event: str = "certificate") -> VisitRecord:
    return VisitRecord(
        visit_id="V-1",
        tenant=TenantRef(code="991007", name="窓口デモ市"),
        event=event,  # type: ignore[arg-type]
        event_date=dt.date(2026, 11, 20),
        filed_on=dt.date(2026, 11, 24),
        previous_address="試験県仮野市中央３－４－５",
        new_address="デモ県窓口デモ市本町１－２－３",
        members=MEMBERS,
        certificates=list(certificates),
    )


def _csv_members(record: VisitRecord, procedure_id: str) -> list[str]:
    guidance = evaluate(record, load_default_catalog())
    handoff = Handoff(
        idempotency_key="V-1:csv:1",
        version=1,
        visit_id="V-1",
        tenant=record.tenant,
        destination="csv",
        created_at=dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC),
        record=record,
        procedures=handoff_procedures(record, guidance),
    )
    return [r["member_name"] for r in handoff_rows(handoff) if r["procedure_id"] == procedure_id]


def _form_members(record: VisitRecord, form: str) -> list[str]:
    return [row["name"] for row in BINDINGS[form](record, None).rows]


def test_tax_certificate_for_one_member_is_one_row_not_four() -> None:
    record = _record(Certificate(kind="tax", fiscal_year=2026))
    on_paper = _form_members(record, "tax-certificate-request")
    assert on_paper == ["窓口　太郎"]
    assert _csv_members(record, "tax-certificate") == on_paper


def test_named_members_agree() -> None:
    record = _record(Certificate(kind="tax", fiscal_year=2026, members=[1, 3]))
    assert _form_members(record, "tax-certificate-request") == ["窓口　花子", "窓口　三郎"]
    assert _csv_members(record, "tax-certificate") == ["窓口　花子", "窓口　三郎"]


def test_residence_kinds_share_one_form_and_its_members() -> None:
    # (The sample catalog's 住民票 procedure fires on kind residence only: see the report.)
    record = _record(
        Certificate(kind="residence", scope="individual", members=[2]),
        Certificate(kind="residence_removed", members=[0]),
    )
    on_paper = _form_members(record, "residence-certificate-request")
    assert on_paper == ["窓口　次郎", "窓口　太郎"]
    assert sorted(_csv_members(record, "residence-certificate")) == sorted(on_paper)


def test_household_scope_is_every_member_in_both() -> None:
    record = _record(Certificate(kind="residence", scope="household"))
    everyone = [m.name for m in MEMBERS]
    assert _form_members(record, "residence-certificate-request") == everyone
    assert _csv_members(record, "residence-certificate") == everyone


def test_forms_for_a_late_moving_in_asks_the_previous_town_by_post() -> None:
    tax = Certificate(kind="tax", fiscal_year=2026)
    late = _record(tax, event="moving-in")
    forms = forms_for(late, evaluate(late, load_default_catalog()))
    assert "tax-certificate-postal-request" in forms and "tax-certificate-request" not in forms
    earlier = late.model_copy(update={"event_date": dt.date(2025, 12, 28)})
    forms = forms_for(earlier, evaluate(earlier, load_default_catalog()))
    assert "tax-certificate-request" in forms and "tax-certificate-postal-request" not in forms


def test_forms_for_removed_and_attachment_certificates() -> None:
    record = _record(Certificate(kind="family_register_attachment"))
    assert "residence-certificate-request" in forms_for(
        record, evaluate(record, load_default_catalog())
    )


def test_moving_notice_and_its_csv_rows_name_only_the_movers() -> None:
    staying = MEMBERS[3].model_copy(update={"concerned": False})
    record = _record(event="moving-in").model_copy(
        update={"members": [*MEMBERS[:3], staying], "facts": {"special_move_in": False}}
    )
    on_paper = _form_members(record, "moving-notice")
    assert on_paper == ["窓口　太郎", "窓口　花子", "窓口　次郎"]
    assert _csv_members(record, "moving-in-notice") == on_paper
