"""What each form reads from the record: named values, check marks and table rows.

A layout refers to these keys; docs/forms.md lists them. A value nobody provided is absent
(the box stays empty). Text is passed through untouched: never normalised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts import Certificate, GuidanceResult, Member, ProcedureResult, VisitRecord
from forms.wareki import fiscal_year_label, to_wareki, to_wareki_year


@dataclass
class FormData:
    values: dict[str, str] = field(default_factory=dict)
    checks: dict[str, set[str]] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)


EVENT_KIND = {
    "moving-in": "転入",
    "moving-within": "転居",
    "moving-out": "転出",
    "household-change": "世帯変更",
}
EVENT_LABEL = EVENT_KIND | {
    "birth": "出生",
    "death": "死亡",
    "marriage": "婚姻",
    "divorce": "離婚",
    "certificate": "証明書",
}
SEX = {"1": "男", "2": "女", "9": ""}
TAX_KIND = {"income": "所得証明書", "taxation": "課税証明書", "income_taxation": "所得課税証明書"}
REQUESTER = {"本人": "self", "世帯主": "household", "同一世帯": "household", "代理人": "agent"}


def _put(values: dict[str, str], key: str, value: object) -> None:
    if value is None or value == "":
        return
    if isinstance(value, dt.date):
        values[key] = to_wareki(value)
    else:
        values[key] = str(value)


def member_row(member: Member, index: int) -> dict[str, str]:
    row: dict[str, str] = {"number": str(index + 1)}
    _put(row, "name", member.name)
    _put(row, "kana", member.kana)
    _put(row, "birth_date", member.birth_date)
    if member.birth_date and member.nationality not in (None, "JP"):
        row["birth_date_western"] = member.birth_date.isoformat()
    _put(row, "sex", SEX.get(member.sex or "9"))
    _put(row, "relationship", member.relationship)
    _put(row, "resident_code", member.resident_code)
    if member.nationality not in (None, "JP"):
        _put(row, "nationality", member.nationality)
        _put(row, "residence_status", member.residence_status)
        _put(row, "residence_card_number", member.residence_card_number)
        _put(row, "residence_period_end", member.residence_period_end)
        parts = [
            member.nationality,
            member.residence_status,
            member.residence_period_end and to_wareki(member.residence_period_end) + "まで",
            member.residence_card_number,
        ]
        row["foreign"] = "\n".join(p for p in parts if p)
    _put(row, "address", member.address)
    return row


def common_values(record: VisitRecord) -> dict[str, str]:
    values: dict[str, str] = {}
    _put(values, "visit_id", record.visit_id)
    _put(values, "tenant_name", record.tenant.name)
    _put(values, "tenant_code", record.tenant.code)
    _put(values, "filed_on", record.filed_on)
    _put(values, "event_date", record.event_date)
    _put(values, "event", EVENT_LABEL[record.event])
    _put(values, "previous_address", record.previous_address)
    _put(values, "new_address", record.new_address)
    _put(values, "household_head", record.household_head)
    if record.applicant:
        _put(values, "applicant_name", record.applicant.name)
        _put(values, "applicant_relationship", record.applicant.relationship)
        _put(values, "applicant_phone", record.applicant.phone)
    current = record.new_address or next((m.address for m in record.members if m.address), None)
    _put(values, "current_address", current)
    return values


def _requester_checks(record: VisitRecord) -> set[str]:
    relation = record.applicant.relationship if record.applicant else None
    if relation is None:
        return set()
    return {REQUESTER.get(relation, "household" if relation else "")} - {""}


def moving_notice(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    data = FormData(values=common_values(record))
    data.checks["event_kind"] = {EVENT_KIND[record.event]} if record.event in EVENT_KIND else set()
    data.rows = [member_row(m, i) for i, m in enumerate(record.members)]
    return data


def _certificate(record: VisitRecord, kind: str) -> Certificate | None:
    return next((c for c in record.certificates if c.kind == kind), None)


def _subjects(record: VisitRecord, cert: Certificate | None) -> list[dict[str, str]]:
    if cert is not None and cert.members is not None:
        indices = [i for i in cert.members if 0 <= i < len(record.members)]
    elif cert is not None and cert.scope == "household":
        indices = list(range(len(record.members)))
    else:
        indices = list(range(min(1, len(record.members))))
    return [member_row(record.members[i], i) for i in indices]


def residence_request(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    data = FormData(values=common_values(record))
    cert = _certificate(record, "residence")
    data.checks["requester"] = _requester_checks(record)
    if cert is not None:
        _put(data.values, "copies", cert.copies)
        _put(data.values, "purpose", cert.purpose)
        data.checks["scope"] = {cert.scope} if cert.scope else set()
        data.checks["include"] = set(cert.include)
    data.rows = _subjects(record, cert)
    return data


def _address_on_january_first(record: VisitRecord, year: int) -> str | None:
    january_first = dt.date(year, 1, 1)
    moved = record.event in ("moving-in", "moving-within")
    if moved and record.event_date > january_first:
        return record.previous_address
    return record.new_address if not moved else None


def tax_request(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    data = FormData(values=common_values(record))
    cert = _certificate(record, "tax")
    data.checks["requester"] = _requester_checks(record)
    if cert is not None:
        _put(data.values, "copies", cert.copies)
        _put(data.values, "purpose", cert.purpose)
        if cert.tax_kind:
            data.checks["tax_kind"] = {cert.tax_kind}
        if cert.fiscal_year is not None:
            data.values["fiscal_year"] = fiscal_year_label(cert.fiscal_year)
            income_year = dt.date(cert.fiscal_year - 1, 12, 31)
            data.values["income_year"] = to_wareki_year(income_year) + "中"
            _put(
                data.values,
                "address_january_first",
                _address_on_january_first(record, cert.fiscal_year),
            )
    data.rows = _subjects(record, cert)
    return data


def procedure_row(procedure: ProcedureResult, index: int) -> dict[str, str]:
    counter = procedure.counter
    where = " ".join(p for p in (counter.floor, counter.number and f"{counter.number}番") if p)
    row = {
        "number": str(index + 1),
        "box": "□",
        "name": procedure.name,
        "department": procedure.department,
        "counter": counter.name + (f"（{where}）" if where else ""),
        "where": _where(procedure.department, counter.name, where),
        "items": "・".join(procedure.items),
        "reasons": "・".join(procedure.reasons),
        "fee": f"{procedure.fee_yen:,}円" if procedure.fee_yen else "無料",
    }
    if procedure.deadline:
        row["deadline"] = to_wareki(procedure.deadline) + "まで"
    if procedure.minutes:
        row["minutes"] = f"約{procedure.minutes}分"
    return row


def _where(department: str, counter: str, place: str) -> str:
    head = counter if department == counter else f"{department}\n{counter}"
    return head + (f"（{place}）" if place else "")


def route_order(guidance: GuidanceResult) -> list[ProcedureResult]:
    """Procedures in the order of the route through the counters (stable within a counter)."""
    return sorted(guidance.procedures, key=lambda p: p.counter.order)


def checklist(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    data = FormData(values=common_values(record))
    if guidance is None:
        return data
    data.rows = [procedure_row(p, i) for i, p in enumerate(route_order(guidance))]
    totals = guidance.totals
    count = totals.procedures or len(guidance.procedures)
    fee = totals.fee_yen or sum(p.fee_yen for p in guidance.procedures)
    minutes = totals.minutes or sum(p.minutes for p in guidance.procedures)
    counters = totals.counters or len({p.counter.id for p in guidance.procedures})
    data.values["totals"] = (
        f"手続き {count}件 ・ 窓口 {counters}か所 ・ 目安 約{minutes}分 ・ 手数料 計{fee:,}円"
    )
    return data


BINDINGS: dict[str, Callable[[VisitRecord, GuidanceResult | None], FormData]] = {
    "moving-notice": moving_notice,
    "residence-certificate-request": residence_request,
    "tax-certificate-request": tax_request,
    "checklist": checklist,
}
