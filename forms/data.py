"""What each form reads from the record: named values, check marks and table rows.

A layout refers to these keys; docs/forms.md lists them. A value nobody provided is absent
(the box stays empty). Text is passed through untouched: never normalised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts import Certificate, GuidanceResult, Member, ProcedureResult, VisitRecord
from forms.countries import country_name
from forms.errors import NotIssuedHereError
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
    _put(row, "domicile", _domicile(member))
    if member.nationality not in (None, "JP"):
        _put(row, "nationality", country_name(member.nationality))
        _put(row, "residence_status", member.residence_status)
        _put(row, "residence_card_number", member.residence_card_number)
        _put(row, "residence_period_end", member.residence_period_end)
        _put(row, "common_name", member.common_name)
        _put(row, "resident_since", member.resident_since)
        row["foreign"] = _foreign_cell(member)
    _put(row, "address", member.address)
    return row


def _domicile(member: Member) -> str | None:
    """本籍 and 筆頭者 in one cell, as the paper forms print them."""
    parts = [member.domicile, member.domicile_head and f"筆頭者 {member.domicile_head}"]
    return "\n".join(p for p in parts if p) or None


def _foreign_cell(member: Member) -> str:
    """国籍・地域 (by name), 在留資格 and 期間, カード番号, 通称, 住民となった年月日."""
    end = member.residence_period_end
    since = member.resident_since
    status = " ".join(p for p in (member.residence_status, end and f"({to_wareki(end)}まで)") if p)
    parts = [
        country_name(member.nationality or ""),
        status,
        member.residence_card_number,
        member.common_name and f"通称 {member.common_name}",
        since and f"住民となった日 {to_wareki(since)}",
    ]
    return "\n".join(p for p in parts if p)


def common_values(record: VisitRecord) -> dict[str, str]:
    values: dict[str, str] = {}
    _put(values, "visit_id", record.visit_id)
    _put(values, "reception_label", record.reception_label)
    _put(values, "tenant_name", record.tenant.name)
    _put(values, "tenant_code", record.tenant.code)
    _put(values, "filed_on", record.filed_on)
    _put(values, "event_date", record.event_date)
    _put(values, "event", EVENT_LABEL[record.event])
    _put(values, "previous_address", record.previous_address)
    _put(values, "new_address", record.new_address)
    _put(values, "household_head", record.household_head)
    _put(values, "new_household_head", record.new_household_head)
    if record.applicant:
        _put(values, "applicant_name", record.applicant.name)
        _put(values, "applicant_relationship", record.applicant.relationship)
        _put(values, "applicant_phone", record.applicant.phone)
        _put(values, "applicant_address", applicant_address(record))
    if record.representative:
        _put(values, "representative_name", record.representative.name)
        _put(values, "representative_relationship", record.representative.relationship)
        _put(values, "representative_address", record.representative.address)
        _put(values, "representative_phone", record.representative.phone)
    _put(values, "current_address", current_address(record))
    return values


def current_address(record: VisitRecord) -> str | None:
    """Where the resident is registered today.

    On a 転出 that is this town's address (``previous_address``) until the move-out takes
    effect: ``new_address`` is the destination, never the current address.
    """
    if record.event == "moving-out":
        return record.previous_address or _member_address(record)
    return record.new_address or _member_address(record)


def applicant_address(record: VisitRecord) -> str | None:
    """The 届出人's address: as given, else the household's when they are one of its members."""
    applicant = record.applicant
    if applicant is None:
        return None
    if applicant.address:
        return applicant.address
    in_household = applicant.member is not None or applicant.relationship == "本人"
    return current_address(record) if in_household else None


def _member_address(record: VisitRecord) -> str | None:
    return next((m.address for m in record.members if m.address), None)


def _requester_checks(record: VisitRecord) -> set[str]:
    if record.representative is not None:
        return {"agent"}
    relation = record.applicant.relationship if record.applicant else None
    if relation is None:
        return set()
    return {REQUESTER.get(relation, "household" if relation else "")} - {""}


def _representative_checks(record: VisitRecord) -> set[str]:
    rep = record.representative
    return {"power_of_attorney"} if rep is not None and rep.power_of_attorney else set()


def movers(record: VisitRecord) -> list[int]:
    """Indices of the members who move: those marked ``concerned: true``; when nobody is,
    every member not marked ``false`` (an unmarked household moves together)."""
    marked = [i for i, m in enumerate(record.members) if m.concerned]
    if marked:
        return marked
    return [i for i, m in enumerate(record.members) if m.concerned is not False]


def notice_members(record: VisitRecord) -> list[int]:
    """The members the 住民異動届 lists: on a move the movers; on a death (the sheet is then the
    世帯主変更届) the household that remains; otherwise every member."""
    if record.event == "death":
        return [
            i for i, m in enumerate(record.members) if m.deceased is not True and not m.concerned
        ]
    if record.event in EVENT_KIND:
        return movers(record)
    return list(range(len(record.members)))


def _event_kind(record: VisitRecord) -> set[str]:
    if record.event == "death":
        return {"世帯主変更"}
    return {EVENT_KIND[record.event]} if record.event in EVENT_KIND else set()


def _moving_checks(record: VisitRecord, guidance: GuidanceResult | None) -> set[str]:
    """The 国外 and 個人番号カード boxes, from the facts and the procedures chosen."""
    facts = record.facts
    ids = {p.id for p in guidance.procedures} if guidance else set()
    checks = set()
    if facts.get("from_abroad") is True and record.event == "moving-in":
        checks.add("from_abroad")
    if facts.get("to_abroad") is True and record.event == "moving-out":
        checks.add("to_abroad")
    if facts.get("special_move_in") is True or "special-moving-in" in ids:
        checks.add("special_move_in")
    if facts.get("card_continued") is True or "my-number-card-address" in ids:
        checks.add("card_continued")
    return checks


def _office_checks(guidance: GuidanceResult | None) -> set[str]:
    """The procedures the guidance chose, by id: the office boxes tick the ones they name."""
    return {p.id for p in guidance.procedures} if guidance else set()


def moving_notice(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    data = FormData(values=common_values(record))
    data.checks["event_kind"] = _event_kind(record)
    data.checks["moving"] = _moving_checks(record, guidance)
    data.checks["office"] = _office_checks(guidance)
    data.checks["representative"] = _representative_checks(record)
    indices = notice_members(record)
    data.rows = [member_row(record.members[i], n) for n, i in enumerate(indices)]
    return data


RESIDENCE_KINDS = ("residence", "residence_removed", "family_register_attachment")


def _certificate(record: VisitRecord, kind: str) -> Certificate | None:
    return next((c for c in record.certificates if c.kind == kind), None)


def certificate_subjects(record: VisitRecord, cert: Certificate | None) -> list[int]:
    """The members a certificate is for, as indices: the same list on paper and in the hand-off.

    Named members first; then the whole household for scope ``household``; otherwise one
    person: the 届出人 when they are a member, else the first member.
    """
    count = len(record.members)
    if cert is not None and cert.members is not None:
        return [i for i in dict.fromkeys(cert.members) if 0 <= i < count]
    if cert is not None and cert.scope == "household":
        return list(range(count))
    own = record.applicant.member if record.applicant else None
    if own is not None and 0 <= own < count:
        return [own]
    return [0] if count else []


def _subjects(record: VisitRecord, certs: list[Certificate]) -> list[dict[str, str]]:
    indices = [i for cert in certs for i in certificate_subjects(record, cert)]
    if not certs:
        indices = certificate_subjects(record, None)
    return [member_row(record.members[i], i) for i in dict.fromkeys(indices)]


def _requester_values(record: VisitRecord, values: dict[str, str]) -> None:
    """The 請求者: the 代理人 when there is one, else the 届出人; never the subject."""
    rep = record.representative
    if rep is not None:
        _put(values, "requester_name", rep.name)
        _put(values, "requester_address", rep.address)
        _put(values, "requester_relationship", rep.relationship)
        _put(values, "requester_phone", rep.phone)
    elif record.applicant is not None:
        _put(values, "requester_name", record.applicant.name)
        _put(values, "requester_address", applicant_address(record))
        _put(values, "requester_relationship", record.applicant.relationship)
        _put(values, "requester_phone", record.applicant.phone)


def residence_request(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    """住民票の写し・除票・戸籍の附票: one request with a box and a copy count per kind."""
    data = FormData(values=common_values(record))
    certs = [c for c in record.certificates if c.kind in RESIDENCE_KINDS]
    _requester_values(record, data.values)
    data.checks["requester"] = _requester_checks(record)
    data.checks["representative"] = _representative_checks(record)
    data.checks["kind"] = {c.kind for c in certs}
    data.checks["include"] = {item for c in certs for item in c.include}
    scopes: set[str] = {c.scope for c in certs if c.scope}
    data.checks["scope"] = scopes
    for cert in certs:
        _put(data.values, f"copies_{cert.kind}", f"{cert.copies}通")
    if certs:
        _put(data.values, "copies", sum(c.copies for c in certs))
        purposes = dict.fromkeys(c.purpose for c in certs if c.purpose)
        _put(data.values, "purpose", "・".join(purposes))
    subjects = _subjects(record, certs)
    data.rows = subjects
    _put(data.values, "subject_address", _subject_address(record, subjects))
    return data


def _subject_address(record: VisitRecord, subjects: list[dict[str, str]]) -> str | None:
    """The 必要な方の住所: a subject's own (card) address, else the household's."""
    return next((row["address"] for row in subjects if row.get("address")), None) or (
        current_address(record)
    )


# --- 所得・課税証明書 -----------------------------------------------------------------------


def default_fiscal_year(filed_on: dt.date) -> int:
    """The newest 年度 on ``filed_on``: a new 年度's certificates are issued from 1 June."""
    return filed_on.year if filed_on.month >= 6 else filed_on.year - 1


def fiscal_year_of(record: VisitRecord, cert: Certificate) -> int:
    return cert.fiscal_year or default_fiscal_year(record.filed_on)


def january_first_elsewhere(record: VisitRecord, cert: Certificate) -> bool:
    """A 転入 after 1 January of the 年度: the previous municipality issues the certificate."""
    january_first = dt.date(fiscal_year_of(record, cert), 1, 1)
    return record.event == "moving-in" and record.event_date > january_first


def address_on_january_first(record: VisitRecord, cert: Certificate) -> str | None:
    """1月1日現在の住所: the record's own value, else worked out from the event.

    転出: this town's address (not the destination). 転入 or 転居 after 1 January: the address
    before the move. Otherwise the current address.
    """
    if record.address_on_january_first:
        return record.address_on_january_first
    january_first = dt.date(fiscal_year_of(record, cert), 1, 1)
    if record.event == "moving-out":
        return record.previous_address
    moved_since = record.event in ("moving-in", "moving-within")
    if moved_since and record.event_date > january_first:
        return record.previous_address
    return current_address(record)


def tax_certificates_issued_here(record: VisitRecord) -> bool:
    """Whether this town issues the visit's tax certificate (False: ask by post elsewhere)."""
    cert = _certificate(record, "tax")
    return cert is None or not january_first_elsewhere(record, cert)


def _tax_values(record: VisitRecord, cert: Certificate, data: FormData) -> None:
    _put(data.values, "copies", cert.copies)
    _put(data.values, "purpose", cert.purpose)
    if cert.tax_kind:
        data.checks["tax_kind"] = {cert.tax_kind}
    year = fiscal_year_of(record, cert)
    data.values["fiscal_year"] = fiscal_year_label(year)
    data.values["income_year"] = to_wareki_year(dt.date(year - 1, 12, 31)) + "中"
    _put(data.values, "address_january_first", address_on_january_first(record, cert))


def tax_request(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    """所得・課税証明書交付申請書, only where this town is the 1 January municipality."""
    cert = _certificate(record, "tax")
    if cert is not None and january_first_elsewhere(record, cert):
        raise NotIssuedHereError(fiscal_year_label(fiscal_year_of(record, cert)))
    data = FormData(values=common_values(record))
    data.checks["requester"] = _requester_checks(record)
    _requester_values(record, data.values)
    if cert is not None:
        _tax_values(record, cert, data)
    data.rows = _subjects(record, [cert] if cert else [])
    return data


def tax_postal_request(record: VisitRecord, guidance: GuidanceResult | None) -> FormData:
    """郵送請求書 to the municipality of 1 January, for a resident who moved in since."""
    cert = _certificate(record, "tax")
    data = FormData(values=common_values(record))
    data.checks["requester"] = _requester_checks(record)
    _requester_values(record, data.values)
    if cert is not None:
        _tax_values(record, cert, data)
    # The certificate is sent to where the resident lives now: the new address here.
    _put(data.values, "send_to", record.new_address or current_address(record))
    data.rows = _subjects(record, [cert] if cert else [])
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
    "tax-certificate-postal-request": tax_postal_request,
    "checklist": checklist,
}


# --- the keys a layout may name (docs/forms.md); an uploaded layout naming another is refused

COMMON_VALUES = frozenset(
    [
        "visit_id",
        "reception_label",
        "tenant_name",
        "tenant_code",
        "filed_on",
        "event_date",
        "event",
        "previous_address",
        "new_address",
        "household_head",
        "new_household_head",
        "applicant_name",
        "applicant_relationship",
        "applicant_phone",
        "applicant_address",
        "representative_name",
        "representative_relationship",
        "representative_address",
        "representative_phone",
        "current_address",
    ]
)
_REQUESTER_VALUES = frozenset(
    ["requester_name", "requester_address", "requester_relationship", "requester_phone"]
)
_TAX_VALUES = _REQUESTER_VALUES | frozenset(
    ["copies", "purpose", "fiscal_year", "income_year", "address_january_first"]
)
FORM_VALUES: dict[str, frozenset[str]] = {
    "moving-notice": frozenset(),
    "residence-certificate-request": _REQUESTER_VALUES
    | frozenset(f"copies_{kind}" for kind in RESIDENCE_KINDS)
    | frozenset({"copies", "purpose", "subject_address"}),
    "tax-certificate-request": _TAX_VALUES,
    "tax-certificate-postal-request": _TAX_VALUES | {"send_to"},
    "checklist": frozenset({"totals"}),
}
FORM_CHECKS: dict[str, frozenset[str]] = {
    "moving-notice": frozenset({"event_kind", "moving", "office", "representative"}),
    "residence-certificate-request": frozenset(
        {"requester", "representative", "kind", "include", "scope"}
    ),
    # The tax layout draws a 代理人 box that tax_request never ticks (yet): allowed, stays empty.
    "tax-certificate-request": frozenset({"requester", "tax_kind", "representative"}),
    "tax-certificate-postal-request": frozenset({"requester", "tax_kind", "representative"}),
    "checklist": frozenset(),
}
MEMBER_ROW_KEYS = frozenset(
    [
        "number",
        "name",
        "kana",
        "birth_date",
        "birth_date_western",
        "sex",
        "relationship",
        "resident_code",
        "domicile",
        "nationality",
        "residence_status",
        "residence_card_number",
        "residence_period_end",
        "common_name",
        "resident_since",
        "foreign",
        "address",
    ]
)
PROCEDURE_ROW_KEYS = frozenset(
    [
        "number",
        "box",
        "name",
        "department",
        "counter",
        "where",
        "items",
        "reasons",
        "fee",
        "deadline",
        "minutes",
    ]
)
ROW_KEYS = {
    "members": MEMBER_ROW_KEYS,
    "subjects": MEMBER_ROW_KEYS,
    "procedures": PROCEDURE_ROW_KEYS,
}
