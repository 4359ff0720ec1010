"""The consistency checks as one table: a visit as a tired clerk might leave it → the findings.

Each row changes a clean record in one way and names the codes (and severities) expected; a
clean record of each event yields nothing. Synthetic people and addresses only; the demo
municipality is 窓口県窓口デモ市 (991007), ``TODAY`` is fixed.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.consistency import (
    RULES,
    CheckContext,
    Severity,
    check_record,
    current_fiscal_year,
    last_day_to_file,
    tax_certificate_issuer,
)
from backend.counter.states import VisitStatus
from contracts import Certificate, VisitRecord
from tests.backend.counter.conftest import Clerk, answer_open_questions

TODAY = dt.date(2026, 12, 3)  # a Thursday
HERE = "窓口県窓口デモ市本町１－２－３"  # as a card holds it
HERE_CORE = "窓口デモ市中央一丁目４番５号"
KIYOSE = "東京都清瀬市観布子南１２－７－２０２"
HEAD = {
    "name": "窓口　一郎",
    "kana": "マドグチ　イチロウ",
    "birth_date": "1980-02-17",
    "sex": "1",
    "relationship": "世帯主",
    "source": "card",
}
SPOUSE = {"name": "窓口　二葉", "birth_date": "1982-07-07", "sex": "2", "relationship": "妻"}


def base(event: str, **changes: Any) -> dict[str, Any]:
    """A clean visit of ``event``: nothing in it contradicts the event."""
    record: dict[str, Any] = {
        "tenant": {"code": "991007", "name": "窓口デモ市"},
        "event": event,
        "event_date": "2026-11-30",
        "filed_on": "2026-12-03",
        "household_head": "窓口　一郎",
        "applicant": {"name": "窓口　一郎", "relationship": "本人", "member": 0},
        "members": [{**HEAD, "address": HERE}, dict(SPOUSE)],
    }
    record.update(copy.deepcopy(CLEAN[event]))
    record.update(copy.deepcopy(changes))
    return record


CLEAN: dict[str, dict[str, Any]] = {
    "moving-in": {
        "previous_address": KIYOSE,
        "new_address": HERE_CORE,
        "members": [{**HEAD, "address": KIYOSE}, dict(SPOUSE)],
    },
    "moving-within": {"previous_address": HERE, "new_address": HERE_CORE},
    "moving-out": {
        "previous_address": HERE,
        "new_address": KIYOSE,
        "event_date": "2026-12-10",  # planned: a 転出 is filed in advance
    },
    "birth": {
        "event_date": "2026-11-28",
        "members": [
            {**HEAD, "address": HERE},
            dict(SPOUSE),
            {
                "name": "窓口　三葉",
                "birth_date": "2026-11-28",
                "relationship": "子",
                "concerned": True,
            },
        ],
    },
    "death": {
        "event_date": "2026-12-01",
        "applicant": {"name": "窓口　二葉", "relationship": "妻", "member": 1},
        "members": [{**HEAD, "address": HERE, "deceased": True}, dict(SPOUSE)],
        "new_household_head": "窓口　二葉",
    },
    "marriage": {},
    "divorce": {},
    "household-change": {},
    "certificate": {
        "event_date": "2026-12-03",
        "certificates": [
            {"kind": "residence", "scope": "household"},
            {"kind": "tax", "fiscal_year": 2026},
        ],
    },
}


def findings(record: dict[str, Any]) -> list[tuple[str, Severity]]:
    return [(f.code, f.severity) for f in check_record(VisitRecord.model_validate(record), TODAY)]


@pytest.mark.parametrize("event", sorted(CLEAN))
def test_a_clean_visit_of_each_event_has_no_finding(event: str) -> None:
    assert findings(base(event)) == []


B, W = Severity.BLOCK, Severity.WARN


@dataclass(frozen=True)
class Row:
    why: str
    event: str
    changes: dict[str, Any]
    expected: list[tuple[str, Severity]]
    member_changes: dict[int, dict[str, Any]] = field(default_factory=dict)


TABLE = [
    # --- the event against the addresses ---
    Row(
        "転居 for a card address in another city",
        "moving-within",
        {"previous_address": KIYOSE},
        [("moving_from_another_municipality", B)],  # card and typed: the same place, said once
        {0: {"address": KIYOSE}},
    ),
    Row(
        "転居 by someone who moved in earlier and kept the card's old address",
        "moving-within",
        {"previous_address": "窓口デモ市駅前3番地"},  # as the core record has it
        [("card_address_outdated", W)],
        {0: {"address": KIYOSE}},
    ),
    Row(
        "転出 for a card address in another city",
        "moving-out",
        {"previous_address": None},
        [("moving_from_another_municipality", B)],
        {0: {"address": KIYOSE}},
    ),
    Row(
        "転入 chosen for someone already living here (転居 meant)",
        "moving-in",
        {"previous_address": HERE},
        [("moving_in_from_this_municipality", B)],
        {0: {"address": HERE}},
    ),
    Row(
        "転入 typed previous address in this town, written like the core record",
        "moving-in",
        {"previous_address": "窓口デモ市本町一丁目２番３号"},
        [("moving_in_from_this_municipality", B), ("moving_in_from_this_municipality", B)],
        {0: {"address": "窓口県窓口デモ市本町二丁目1-1"}},
    ),
    Row(
        "転入 to an address in another city",
        "moving-in",
        {"new_address": "東京都清瀬市中清戸1-1"},
        [("new_address_in_another_municipality", B)],
    ),
    Row(
        "転出 to an address in this town (転居 meant)",
        "moving-out",
        {"new_address": "窓口デモ市本町二丁目5番地"},
        [("moving_out_within_municipality", B)],
    ),
    Row(
        "転出 to a block number without its town",
        "moving-out",
        {"new_address": "本町二丁目5番地"},
        [("destination_municipality_missing", W)],
    ),
    Row(
        "転居 to the same address, typed another way",
        "moving-within",
        {"new_address": "窓口デモ市本町一丁目２番３号"},
        [("new_address_same_as_previous", B)],
    ),
    Row(
        "a move without a new address",
        "moving-in",
        {"new_address": None},
        [("new_address_missing", W)],
    ),
    Row(
        "転入 with a previous address that names no municipality",
        "moving-in",
        {"previous_address": "観布子南12-7-202"},
        [("address_municipality_unknown", W)],
    ),
    Row(
        "転入 whose card address is the same place as the typed one: said once",
        "moving-in",
        {"previous_address": "清瀬市観布子南12-7-202"},
        [],
    ),
    # --- dates ---
    Row(
        "filing date in the future",
        "marriage",
        {"filed_on": "2026-12-04", "event_date": "2026-12-04"},
        [("filed_in_future", B)],
    ),
    Row(
        "filing date typed with last year",
        "moving-in",
        {"filed_on": "2025-12-03", "event_date": "2025-11-30"},
        [("filed_in_past", W)],
    ),
    Row(
        "転入 before moving (event after filing)",
        "moving-in",
        {"event_date": "2026-12-05"},
        [("event_after_filing", B)],
    ),
    Row(
        "a death dated tomorrow", "death", {"event_date": "2026-12-04"}, [("event_after_filing", B)]
    ),
    Row(
        "転出 filed 3 weeks ahead",
        "moving-out",
        {"event_date": "2026-12-24"},
        [("moving_out_too_early", W)],
    ),
    Row("転出 filed after moving, in time", "moving-out", {"event_date": "2026-11-25"}, []),
    Row("転入 15 days late", "moving-in", {"event_date": "2026-11-17"}, [("deadline_passed", W)]),
    Row("転入 on the 14th day", "moving-in", {"event_date": "2026-11-19"}, []),
    Row(
        "出生 on the 15th day counting the birth",
        "birth",
        {"event_date": "2026-11-19"},
        [("deadline_passed", W), ("newborn_birth_date_differs", B)],
    ),
    Row(
        "出生 on the 14th day counting the birth",
        "birth",
        {"event_date": "2026-11-20"},
        [],
        {2: {"birth_date": "2026-11-20"}},
    ),
    Row(
        "出生 late",
        "birth",
        {"event_date": "2026-11-01"},
        [("deadline_passed", W)],
        {2: {"birth_date": "2026-11-01"}},
    ),
    Row("死亡 on the 8th day", "death", {"event_date": "2026-11-26"}, [("deadline_passed", W)]),
    Row("死亡 on the 7th day", "death", {"event_date": "2026-11-27"}, []),
    Row("婚姻 has no deadline", "marriage", {"event_date": "2025-01-10"}, []),
    Row(
        "a member born after the filing date",
        "marriage",
        {},
        [("born_in_future", B)],
        {1: {"birth_date": "2027-07-07"}},
    ),
    Row(
        "an era slip: 130 years old",
        "household-change",
        {},
        [("age_over_120", W)],
        {1: {"birth_date": "1896-07-07"}},
    ),
    # --- members ---
    Row(
        "two household heads",
        "moving-within",
        {},
        [("two_household_heads", B)],
        {1: {"relationship": "世帯主"}},
    ),
    Row(
        "the head's name and the member marked head differ",
        "moving-within",
        {"household_head": "窓口　二葉"},
        [("household_head_differs", W)],
    ),
    Row(
        "the same card read twice",
        "moving-within",
        {},
        [("member_twice", B)],
        {2: {**HEAD, "relationship": "子", "address": HERE}},
    ),
    Row(
        "the same person typed with a full-width space and half-width one",
        "moving-within",
        {},
        [("member_twice", B)],
        {2: {"name": "窓口 二葉", "birth_date": "1982-07-07", "relationship": "子"}},
    ),
    Row(
        "twins: same birth date, other names",
        "birth",
        {},
        [],
        {
            3: {
                "name": "窓口　四葉",
                "birth_date": "2026-11-28",
                "relationship": "子",
                "concerned": True,
            }
        },
    ),
    Row(
        "a deceased member in a 転居",
        "moving-within",
        {},
        [("deceased_outside_death", B)],
        {1: {"deceased": True}},
    ),
    Row(
        "a death with nobody marked deceased",
        "death",
        {},
        [("deceased_missing", B)],
        {0: {"deceased": None}},
    ),
    Row(
        "a death with two marked deceased",
        "death",
        {"applicant": {"name": "窓口　五郎", "relationship": "子"}, "new_household_head": None},
        [("several_deceased", W)],
        {1: {"deceased": True}},
    ),
    Row(
        "the deceased files the death",
        "death",
        {"applicant": {"name": "窓口　一郎", "relationship": "本人", "member": 0}},
        [("deceased_is_applicant", B)],
    ),
    Row(
        "the deceased as the new head",
        "death",
        {"new_household_head": "窓口　一郎"},
        [("deceased_is_new_head", B)],
    ),
    Row(
        "a birth without the newborn marked: the typed baby is taken",
        "birth",
        {},
        [],
        {2: {"concerned": None}},
    ),
    Row(
        "a birth without the newborn marked, the date of birth mistyped",
        "birth",
        {},
        [("newborn_birth_date_differs", B)],
        {2: {"concerned": None, "birth_date": "2026-11-18"}},
    ),
    Row(
        "a birth with no child among the members",
        "birth",
        {},
        [("newborn_missing", W)],
        {2: {"concerned": None, "birth_date": "2020-11-28"}},
    ),
    Row(
        "the newborn's birth date differs from the event",
        "birth",
        {},
        [("newborn_birth_date_differs", B)],
        {2: {"birth_date": "2026-11-27"}},
    ),
    Row(
        "the applicant points at a member removed",
        "marriage",
        {"applicant": {"name": "窓口　一郎", "member": 5}},
        [("member_not_in_visit", B)],
    ),
    Row(
        "a certificate for a member removed",
        "certificate",
        {"certificates": [{"kind": "residence", "scope": "individual", "members": [0, 2]}]},
        [("member_not_in_visit", B)],
    ),
    # --- certificates ---
    Row(
        "tax certificate from this town for someone whose 1 January address was 清瀬市",
        "certificate",
        {"address_on_january_first": KIYOSE},
        [("tax_certificate_elsewhere", B)],
    ),
    Row(
        "転入 in November asking for this year's tax certificate",
        "moving-in",
        {"certificates": [{"kind": "tax", "fiscal_year": 2026}]},
        [("tax_certificate_by_post", W)],
    ),
    Row(
        "転入 in November, the 年度 left to default",
        "moving-in",
        {"certificates": [{"kind": "tax"}]},
        [("tax_certificate_by_post", W)],
    ),
    Row(
        "転入 in November, no previous address known: cannot tell who issues",
        "moving-in",
        {"previous_address": None, "certificates": [{"kind": "tax", "fiscal_year": 2026}]},
        [("tax_certificate_issuer_unknown", W)],
        {0: {"address": None, "source": "staff"}},
    ),
    Row(
        "転出: the 1 January address is still this town's",
        "moving-out",
        {"certificates": [{"kind": "tax", "fiscal_year": 2026}]},
        [],
    ),
    Row(
        "1 January address given in this town, written like the core record",
        "certificate",
        {"address_on_january_first": "窓口デモ市本町一丁目２番３号"},
        [],
    ),
    Row(
        "next year's tax certificate, not issued before June",
        "certificate",
        {"certificates": [{"kind": "tax", "fiscal_year": 2027}]},
        [("tax_year_not_issued_yet", B)],
    ),
    Row(
        "a tax certificate of six years ago",
        "certificate",
        {"certificates": [{"kind": "tax", "fiscal_year": 2021}]},
        [("tax_year_old", W)],
    ),
    Row(
        "a 住民票 for someone whose card says another city",
        "certificate",
        {"certificates": [{"kind": "residence"}]},
        [("residence_certificate_elsewhere", W)],
        {0: {"address": KIYOSE}},
    ),
]


def with_members_changed(record: dict[str, Any], changes: dict[int, dict[str, Any]]) -> None:
    for index, change in changes.items():
        if index < len(record["members"]):
            record["members"][index].update(change)
        else:
            record["members"].append(change)


@pytest.mark.parametrize("row", TABLE, ids=[r.why for r in TABLE])
def test_the_consistency_table(row: Row) -> None:
    record = base(row.event, **row.changes)
    with_members_changed(record, row.member_changes)
    assert sorted(findings(record)) == sorted(row.expected)


def test_every_rule_has_a_row_that_makes_it_speak() -> None:
    """A newcomer's new rule needs its row: each rule of RULES is seen in the table."""
    seen: set[str] = set()
    for row in TABLE:
        record = base(row.event, **row.changes)
        with_members_changed(record, row.member_changes)
        context = VisitRecord.model_validate(record)
        for rule in RULES:
            if any(True for _ in rule(CheckContext(record=context, today=TODAY))):
                seen.add(rule.__name__)
    assert seen == {rule.__name__ for rule in RULES}


def test_blocking_findings_come_first_and_say_how_to_proceed() -> None:
    record = base("moving-in", event_date="2026-11-01", previous_address=HERE)
    with_members_changed(record, {0: {"address": HERE}})
    result = check_record(VisitRecord.model_validate(record), TODAY)
    assert [f.severity for f in result] == [B, W]
    for finding in result:
        assert finding.message and finding.message_en
        assert finding.how_to_proceed and finding.how_to_proceed_en
        assert finding.field


def test_the_tax_certificate_findings_name_the_issuing_municipality() -> None:
    here_form = VisitRecord.model_validate(base("certificate", address_on_january_first=KIYOSE))
    (refused,) = check_record(here_form, TODAY)
    assert (refused.code, refused.severity) == ("tax_certificate_elsewhere", B)
    assert refused.municipality == "東京都清瀬市" and refused.field == "certificates.1"
    assert "東京都清瀬市" in refused.how_to_proceed and "郵送" in refused.how_to_proceed
    moving_in = base("moving-in", certificates=[{"kind": "tax", "fiscal_year": 2026}])
    (by_post,) = check_record(VisitRecord.model_validate(moving_in), TODAY)
    assert (by_post.code, by_post.severity) == ("tax_certificate_by_post", W)
    assert by_post.municipality == "東京都清瀬市"
    assert "東京都清瀬市あての郵送請求書" in by_post.message


ISSUERS = [
    # (event, event_date, previous address, 1 January address, 年度, here?, issuer)
    ("moving-in", "2026-11-20", KIYOSE, None, 2026, False, "東京都清瀬市"),
    ("moving-in", "2026-11-20", KIYOSE, None, 2025, False, "東京都清瀬市"),
    ("moving-in", "2025-12-26", KIYOSE, None, 2026, True, None),
    ("moving-in", "2026-01-01", KIYOSE, None, 2026, True, None),  # moved on 1 January itself
    ("moving-out", "2026-12-10", HERE, None, 2026, True, None),
    ("moving-within", "2026-11-30", HERE, None, 2026, True, None),
    ("certificate", "2026-12-03", None, KIYOSE, 2026, False, "東京都清瀬市"),
    ("certificate", "2026-12-03", None, "清瀬市観布子南12-7", 2026, False, "清瀬市"),
    ("certificate", "2026-12-03", None, "観布子南12-7", 2026, None, None),
    ("moving-in", "2026-11-20", KIYOSE, "窓口県窓口デモ市駅前1", 2026, True, None),
]


@pytest.mark.parametrize(
    ("event", "event_date", "previous", "january", "year", "here", "issuer"), ISSUERS
)
def test_who_issues_a_tax_certificate(
    event: str,
    event_date: str,
    previous: str | None,
    january: str | None,
    year: int,
    here: bool | None,
    issuer: str | None,
) -> None:
    record = VisitRecord.model_validate(
        base(
            event,
            event_date=event_date,
            previous_address=previous,
            address_on_january_first=january,
        )
    )
    found = tax_certificate_issuer(record, Certificate(kind="tax", fiscal_year=year), TODAY)
    assert (found.here, found.municipality) == (here, issuer)


@pytest.mark.parametrize(
    ("today", "year"),
    [("2026-05-31", 2025), ("2026-06-01", 2026), ("2026-12-03", 2026), ("2027-01-04", 2026)],
)
def test_the_newest_tax_year_starts_in_june(today: str, year: int) -> None:
    assert current_fiscal_year(dt.date.fromisoformat(today)) == year


DEADLINES = [
    # (event, event date, last day to file)
    ("moving-in", "2026-11-19", "2026-12-03"),  # 14 days, the day of the move not counted
    ("moving-in", "2026-11-14", "2026-11-30"),  # 11-28 is a Saturday: Monday
    ("moving-within", "2026-12-20", "2027-01-04"),  # 1-3 is 年末年始 (and a Sunday)
    ("birth", "2026-11-20", "2026-12-03"),  # 14 days counting the birth
    ("death", "2026-11-27", "2026-12-03"),  # 7 days counting the day
    ("marriage", "2026-11-27", None),
    ("certificate", "2026-11-27", None),
]


@pytest.mark.parametrize(("event", "event_date", "last"), DEADLINES)
def test_the_last_day_to_file(event: str, event_date: str, last: str | None) -> None:
    found = last_day_to_file(event, dt.date.fromisoformat(event_date))
    assert found == (dt.date.fromisoformat(last) if last else None)


# --- through the API: the service refuses, whoever calls -------------------------------


def _visit(clerk: Clerk, db: Session, card_address: str, changes: dict[str, Any]) -> str:
    vid = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id}).json()["id"]
    card = service.CardFields("窓口　一郎", card_address, "19800217", "1")
    service.add_card_member(db, service.get_visit(db, vid), card)
    response = clerk.patch(f"/api/v1/visits/{vid}", changes)
    assert response.status_code == 200, response.text
    return vid


def _days_ago(clerk: Clerk, days: int) -> str:
    """Dates relative to the municipality's today: the filing date defaults to it."""
    return (service.local_today(clerk.tenant) - dt.timedelta(days=days)).isoformat()


def test_a_blocking_finding_refuses_the_tablet_and_the_visit_stays_open(
    clerk: Clerk, db: Session
) -> None:
    """The issue's case: a 転居 accepted for a card address in another city."""
    changes = {"event": "moving-within", "event_date": _days_ago(clerk, 3)}
    vid = _visit(clerk, db, KIYOSE, {**changes, "new_address": HERE_CORE})
    checks = clerk.get(f"/api/v1/visits/{vid}/checks").json()
    assert checks["blocking"] is True
    assert [f["code"] for f in checks["findings"]] == ["moving_from_another_municipality"]
    assert checks["findings"][0]["municipality"] == "東京都清瀬市"

    refused = clerk.post(f"/api/v1/visits/{vid}/confirm")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "visit_inconsistent"
    assert "清瀬市" in error["message"]
    assert [f["code"] for f in error["findings"]] == ["moving_from_another_municipality"]
    assert clerk.get(f"/api/v1/visits/{vid}").json()["status"] == VisitStatus.OPEN


def test_a_warning_never_blocks(clerk: Clerk, db: Session) -> None:
    """Moved in from 清瀬市 three weeks ago, asking for this year's tax certificate: the clerk
    is told it is late and that the certificate comes from 清瀬市 by post; it goes on."""
    year = current_fiscal_year(service.local_today(clerk.tenant))
    changes = {
        "event": "moving-in",
        "event_date": _days_ago(clerk, 21),
        "new_address": HERE_CORE,
        "certificates": [{"kind": "tax", "fiscal_year": year}],
    }
    vid = _visit(clerk, db, KIYOSE, changes)
    checks = clerk.get(f"/api/v1/visits/{vid}/checks").json()
    assert checks["blocking"] is False
    codes = {f["code"]: f for f in checks["findings"]}
    assert set(codes) == {"deadline_passed", "tax_certificate_by_post"}
    assert codes["tax_certificate_by_post"]["municipality"] == "東京都清瀬市"
    answer_open_questions(clerk, vid)  # open questions block on their own (issue 16)
    sent = clerk.post(f"/api/v1/visits/{vid}/confirm")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == VisitStatus.CONFIRMING


def test_a_visit_without_an_event_has_one_finding_saying_so(clerk: Clerk) -> None:
    vid = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id}).json()["id"]
    checks = clerk.get(f"/api/v1/visits/{vid}/checks")
    assert checks.status_code == 200
    assert [f["code"] for f in checks.json()["findings"]] == ["event_missing"]


def test_the_checks_of_an_unknown_visit_are_not_found(clerk: Clerk) -> None:
    response = clerk.get("/api/v1/visits/no-such-visit/checks")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "visit_not_found"
