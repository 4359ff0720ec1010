"""Issue 16 at the API: answers reach the member they are about, each event gets its 届出人,
a birth and a death produce their procedures and forms, open questions block the tablet."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.counter import service
from tests.backend.counter.conftest import Clerk, answer_open_questions

FATHER = service.CardFields("黒桐　幹也", "窓口デモ市中央一丁目２番３号", "19800217", "1")
MOTHER = service.CardFields("黒桐　鮮花", "窓口デモ市中央一丁目２番３号", "19840305", "2")
# Moving in: the card still shows the address in the previous municipality.
MOVER = service.CardFields("黒桐　幹也", "東京都清瀬市見本町１－２－３", "19800217", "1")


def open_visit(clerk: Clerk, event: str, event_date: str = "2026-11-20") -> str:
    vid = str(clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id}).json()["id"])
    patched = clerk.patch(
        f"/api/v1/visits/{vid}",
        {"event": event, "event_date": event_date, "filed_on": "2026-11-24"},
    )
    assert patched.status_code == 200, patched.text
    return vid


def read_card(db: Session, vid: str, card: service.CardFields) -> None:
    service.add_card_member(db, service.get_visit(db, vid), card)


def add_typed(clerk: Clerk, vid: str, **body: object) -> dict[str, object]:
    response = clerk.post(f"/api/v1/visits/{vid}/members", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def questions(clerk: Clerk, vid: str) -> list[dict[str, object]]:
    return list(clerk.post(f"/api/v1/visits/{vid}/guidance").json()["questions"])


def procedures(clerk: Clerk, vid: str) -> set[str]:
    return {p["id"] for p in clerk.post(f"/api/v1/visits/{vid}/guidance").json()["procedures"]}


def answer(clerk: Clerk, vid: str, answers: dict[str, object]):  # type: ignore[no-untyped-def]
    return clerk.post(f"/api/v1/visits/{vid}/answers", {"answers": answers})


def test_a_member_question_is_answered_on_that_member(clerk: Clerk, db: Session) -> None:
    """Regression: the console stored members.0.members.0.nationality and the question stayed."""
    vid = open_visit(clerk, "moving-in")
    read_card(db, vid, FATHER)
    asked = {str(q["id"]) for q in questions(clerk, vid)}
    assert {"members.0.nationality", "members.0.insurance"} <= asked
    answered = answer(
        clerk,
        vid,
        {"members.0.nationality": "JP", "members.0.insurance": "national_health"},
    )
    assert answered.status_code == 200, answered.text
    (member,) = answered.json()["members"]
    assert member["nationality"] == "JP" and member["insurance"] == "national_health"
    assert not any(k.startswith("members.") for k in answered.json()["facts"])
    asked = {str(q["id"]) for q in questions(clerk, vid)}
    assert "members.0.nationality" not in asked and "members.0.insurance" not in asked
    assert "nhi-enroll" in procedures(clerk, vid)
    record = clerk.get(f"/api/v1/visits/{vid}/record").json()
    assert record["members"][0]["nationality"] == "JP"


def test_a_doubled_or_misplaced_member_key_is_refused(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk, "moving-in")
    read_card(db, vid, FATHER)
    doubled = answer(clerk, vid, {"members.0.members.0.nationality": "JP"})
    assert doubled.status_code == 422 and doubled.json()["error"]["code"] == "answer_key_invalid"
    as_fact = clerk.patch(f"/api/v1/visits/{vid}", {"facts": {"members.0.nationality": "JP"}})
    assert as_fact.status_code == 422
    nobody = answer(clerk, vid, {"members.3.care_certified": False})
    assert nobody.status_code == 422
    wrong = answer(clerk, vid, {"members.0.insurance": "gold_plan"})
    assert wrong.status_code == 422 and "members.0.insurance" in wrong.json()["error"]["message"]


def test_a_four_person_household_ends_with_no_open_question(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk, "moving-in")
    read_card(db, vid, FATHER)
    read_card(db, vid, MOTHER)
    add_typed(clerk, vid, name="黒桐　未那", birth_date="2020-04-01", sex="2", relationship="子")
    add_typed(clerk, vid, name="黒桐　幹人", birth_date="2022-08-15", sex="1", relationship="子")
    before = len(questions(clerk, vid))
    assert before > 4
    answered = answer_open_questions(clerk, vid)
    assert answered == before or answered > 0
    assert questions(clerk, vid) == []
    members = clerk.get(f"/api/v1/visits/{vid}").json()["members"]
    assert all(m["nationality"] == "JP" for m in members)


def test_birth_the_newborn_typed_first_never_files(clerk: Clerk, db: Session) -> None:
    """Regression: the baby typed first became 世帯主 and 届出人; the father's 続柄 was empty."""
    vid = open_visit(clerk, "birth", "2026-11-18")
    add_typed(clerk, vid, name="黒桐　はる", birth_date="2026-11-18", sex="2", concerned=True)
    read_card(db, vid, FATHER)
    read_card(db, vid, MOTHER)
    visit = clerk.get(f"/api/v1/visits/{vid}").json()
    baby, father, _mother = visit["members"]
    assert baby["newborn"] and not baby["may_file"] and baby["relationship"] == "子"
    assert father["relationship"] == "世帯主"
    assert visit["applicant"]["name"] == "黒桐　幹也"
    assert visit["applicant"]["relationship"] == "父" and visit["applicant"]["member"] == 1
    assert visit["household_head"] == "黒桐　幹也"
    refused = clerk.patch(f"/api/v1/visits/{vid}", {"applicant": {"name": "x", "member": 0}})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "applicant_not_allowed"
    mother = clerk.patch(f"/api/v1/visits/{vid}", {"applicant": {"name": "x", "member": 2}})
    assert mother.json()["applicant"]["name"] == "黒桐　鮮花"
    assert mother.json()["applicant"]["relationship"] == "母"
    record = clerk.get(f"/api/v1/visits/{vid}/record").json()
    assert record["members"][0]["concerned"] is True
    assert record["applicant"]["member"] == 2
    assert "birth-notice" in procedures(clerk, vid)


def test_death_produces_the_death_procedures_and_a_form(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk, "death")
    read_card(db, vid, FATHER)
    read_card(db, vid, MOTHER)
    add_typed(clerk, vid, name="黒桐　未那", birth_date="2020-04-01", sex="2", relationship="子")
    before = clerk.get(f"/api/v1/visits/{vid}/forms").json()["forms"]
    assert answer(clerk, vid, {"members.0.deceased": True}).status_code == 200
    assert answer(clerk, vid, {"members.0.insurance": "national_health"}).status_code == 200
    found = procedures(clerk, vid)
    assert {"death-notice", "funeral-expenses"} <= found
    forms = clerk.get(f"/api/v1/visits/{vid}/forms").json()["forms"]
    assert forms and len(forms) >= len(before)
    visit = clerk.get(f"/api/v1/visits/{vid}").json()
    assert visit["applicant"]["name"] == "黒桐　鮮花"  # the survivor, not the deceased
    assert visit["applicant"]["relationship"] == "同居の親族"
    wife = visit["members"][1]["id"]
    clerk.patch(f"/api/v1/visits/{vid}/members/{wife}", {"relationship": "妻"})
    visit = clerk.get(f"/api/v1/visits/{vid}").json()
    assert visit["applicant"]["relationship"] == "妻"
    refused = clerk.patch(f"/api/v1/visits/{vid}", {"applicant": {"name": "x", "member": 0}})
    assert refused.status_code == 400


def test_open_questions_block_the_tablet_until_answered_or_unresolved(
    clerk: Clerk, db: Session
) -> None:
    vid = open_visit(clerk, "moving-in")
    read_card(db, vid, MOVER)
    clerk.patch(f"/api/v1/visits/{vid}", {"new_address": "窓口デモ市中央一丁目２番３号"})
    blocked = clerk.post(f"/api/v1/visits/{vid}/confirm")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "questions_open"
    listed = {q["id"] for q in blocked.json()["error"]["questions"]}
    assert "members.0.insurance" in listed
    unresolved = [{"question": "members.0.insurance", "reason": "保険証を持参していない"}]
    clerk.patch(f"/api/v1/visits/{vid}", {"unresolved": unresolved})
    answer_open_questions_except(clerk, vid, "members.0.insurance")
    sent = clerk.post(f"/api/v1/visits/{vid}/confirm")
    assert sent.status_code == 200, sent.text
    record = clerk.get(f"/api/v1/visits/{vid}/record").json()
    assert record["unresolved"] == unresolved


def answer_open_questions_except(clerk: Clerk, vid: str, skipped: str) -> None:
    for _ in range(40):
        left = [q for q in questions(clerk, vid) if q["id"] != skipped]
        if not left:
            return
        question = left[0]
        value: object = False if question["type"] == "bool" else "JP"
        if question["type"] == "choice":
            value = question["choices"][0]
        assert answer(clerk, vid, {str(question["id"]): value}).status_code == 200
    raise AssertionError("questions left")
