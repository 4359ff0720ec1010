"""The case workbench over HTTP: states, permissions, audited searches, characters, returns."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter.handoff import enqueue_handoff
from backend.platform.audit.models import AuditEvent
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from tests.backend.backoffice.conftest import PROCEDURES, RECORD, hand_off


def _login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


def _case(client: TestClient, reception: str) -> dict[str, Any]:
    found = client.get("/api/v1/cases", params={"reception": reception})
    assert found.status_code == 200, found.text
    (summary,) = found.json()
    detail: dict[str, Any] = client.get(f"/api/v1/cases/{summary['id']}").json()
    return detail


def _item(case: dict[str, Any], department: str) -> dict[str, Any]:
    return next(i for i in case["work_items"] if i["department"] == department)


def test_a_case_per_visit_a_work_item_per_procedure_found_by_reception_number(
    client: TestClient, db: Session
) -> None:
    tenant = seed_demo(db)
    hand_off(db, tenant.id, "A-001 2026-11-24")
    hand_off(db, tenant.id, "A-002 2026-11-24")
    _login(client, "backoffice")
    case = _case(client, "ａ－００１　2026-11-24")  # as typed on a Japanese keyboard
    assert case["reception_label"] == "A-001 2026-11-24"
    assert [i["state"] for i in case["work_items"]] == ["received"] * 3
    assert _item(case, "市民課")["procedure_name"] == "住民記録（転入届）"
    assert case["record"]["members"][0]["name"] == "髙橋　𠮷男"  # the original, kept
    assert case["record"]["unresolved"][0]["reason"] == "本人不在"
    assert case["procedures"][0]["reasons"] == ["他の市区町村から引っ越してきたため"]
    # the deadlines as guidance gave them: one past (2026-12-01), one far ahead, one none
    assert _item(case, "市民課")["deadline_state"] == "overdue"
    assert _item(case, "保険年金課")["deadline_state"] == "due"
    assert case["deadline_state"] == "overdue"
    assert _item(case, "環境衛生課")["deadline_state"] == "none"
    assert len(client.get("/api/v1/cases", params={"reception": "A-002"}).json()) == 1
    by_department = client.get("/api/v1/cases", params={"department": "保険年金課"}).json()
    assert len(by_department) == 2


def test_characters_outside_jis_x_0208_are_flagged_with_their_substitute(
    client: TestClient, db: Session
) -> None:
    tenant = seed_demo(db)
    hand_off(db, tenant.id)
    _login(client, "backoffice")
    case = _case(client, "A-001 2026-11-24")
    assert case["charset"] == "jisx0208"
    flags = {(c["field"], c["original"]): c for c in case["characters"]}
    assert flags[("members.0.name", "髙")]["substitute"] == "高"
    assert flags[("members.0.name", "髙")]["codepoints"] == "U+9AD9"
    assert flags[("members.0.name", "𠮷")]["substitute"] == "吉"
    assert flags[("members.1.name", "髙")]["position"] == 0
    assert case["characters_flagged"] == 3


def test_states_input_needs_the_characters_decided_then_verify_done_and_a_return(
    client: TestClient, db: Session
) -> None:
    tenant = seed_demo(db)
    visit = hand_off(db, tenant.id)
    headers = _login(client, "backoffice")
    case = _case(client, "A-001")
    item = _item(case, "市民課")
    taken = client.post(f"/api/v1/work-items/{item['id']}/take", headers=headers).json()
    assert taken["state"] == "input" and taken["assignee_name"] == "後方　次郎"
    refused = client.post(f"/api/v1/work-items/{item['id']}/advance", headers=headers)
    assert refused.json()["error"]["code"] == "characters_undecided"
    for index in range(len(case["characters"])):
        client.post(f"/api/v1/cases/{case['id']}/characters",
                    json={"index": index, "decision": "substitute"}, headers=headers)  # fmt: skip
    for expected in ("verify", "done"):
        moved = client.post(f"/api/v1/work-items/{item['id']}/advance", headers=headers)
        assert moved.json()["state"] == expected, moved.text
    again = client.post(f"/api/v1/work-items/{item['id']}/advance", headers=headers)
    assert again.json()["error"]["code"] == "work_item_state"
    other = _item(case, "保険年金課")
    reason = {"reason": "保険証の写しがありません"}
    returned = client.post(f"/api/v1/work-items/{other['id']}/return", json=reason, headers=headers)
    assert returned.json()["state"] == "returned"
    # the counter sees the return, with its reason, and the journey records both outcomes
    _login(client, "clerk")
    items = client.get(f"/api/v1/visits/{visit.id}/work-items").json()
    states = {i["department"]: (i["state"], i["return_reason"]) for i in items}
    assert states["保険年金課"] == ("returned", "保険証の写しがありません")
    assert states["市民課"] == ("done", None)
    returns = client.get("/api/v1/work-items/returned").json()
    assert [c["visit_id"] for c in returns] == [visit.id]
    journey = client.get(f"/api/v1/visits/{visit.id}/journey").json()["events"]
    kinds = [e["kind"] for e in journey]
    assert kinds[-4:] == ["work_item.input", "work_item.verify", "work_item.done",
                          "work_item.returned"]  # fmt: skip


def test_a_clerk_cannot_search_by_name_and_every_search_is_audited(
    client: TestClient, db: Session
) -> None:
    tenant = seed_demo(db)
    hand_off(db, tenant.id, "A-001 2026-11-24")
    hand_off(db, tenant.id, "A-002 2026-11-24", members=[{"name": "窓口　一郎"}])
    headers = _login(client, "clerk")
    assert client.get("/api/v1/cases", params={"reception": "A-001"}).status_code == 200
    refused = client.get("/api/v1/cases", params={"name": "髙橋"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "personal_search_denied"
    assert client.get("/api/v1/cases", params={"birth_date": "1985-04-01"}).status_code == 403
    item = client.get("/api/v1/cases").json()[0]["work_items"][0]
    assert client.post(f"/api/v1/work-items/{item['id']}/take", headers=headers).status_code == 403
    _login(client, "backoffice")
    by_name = client.get("/api/v1/cases", params={"name": "髙橋𠮷男"}).json()  # spaces ignored
    assert [c["reception_label"] for c in by_name] == ["A-001 2026-11-24"]
    by_kana = client.get("/api/v1/cases", params={"name": "タカハシ"}).json()
    assert len(by_kana) == 1
    by_birth = client.get("/api/v1/cases", params={"birth_date": "1987-06-02"}).json()
    assert len(by_birth) == 1
    searches = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.searched").order_by(AuditEvent.at)
    ).all()
    assert [s.detail["by"] for s in searches][-3:] == [["name"], ["name"], ["birth_date"]]
    assert "髙橋" not in str([s.detail for s in searches])  # what was searched is not logged


def test_retention_purges_the_cases_personal_data_and_keeps_its_states(
    client: TestClient, db: Session
) -> None:
    from backend.backoffice.models import Case, WorkItem
    from backend.counter.retention import purge_visit

    tenant = seed_demo(db)
    visit = hand_off(db, tenant.id)
    item = db.scalars(select(WorkItem)).first()
    assert item is not None
    item.state, item.return_reason = "returned", "写しがありません"
    counts = purge_visit(db, visit)
    assert counts["backoffice_cases"] == 1
    db.expire_all()
    case = db.scalars(select(Case).where(Case.visit_id == visit.id)).one()
    assert case.record is None and case.characters is None and case.procedures is None
    assert case.reception_label == "A-001 2026-11-24"
    assert {i.return_reason for i in db.scalars(select(WorkItem))} == {None}
    assert {i.state for i in db.scalars(select(WorkItem))} == {"returned", "received"}


def test_a_resent_hand_off_keeps_the_back_offices_character_decisions(
    client: TestClient, db: Session
) -> None:
    tenant = seed_demo(db)
    visit = hand_off(db, tenant.id)
    headers = _login(client, "backoffice")
    case = _case(client, "A-001")
    flags = case["characters"]
    assert [(c["field"], c["original"]) for c in flags] == [
        ("members.0.name", "髙"), ("members.0.name", "𠮷"), ("members.1.name", "髙")]  # fmt: skip
    chosen = {0: "gaiji", 2: "substitute"}  # 𠮷 of 髙橋　𠮷男 left open
    for index, decision in chosen.items():
        client.post(f"/api/v1/cases/{case['id']}/characters",
                    json={"index": index, "decision": decision}, headers=headers)  # fmt: skip
    # the counter resends the hand-off with a member put first: the decisions follow the names
    newcomer = {"name": "髙田　一", "birth_date": "2020-01-01", "sex": "1", "source": "staff"}
    members = [newcomer, *RECORD["members"]]
    enqueue_handoff(db, visit, RECORD | {"members": members}, [], procedures=PROCEDURES)
    again = _case(client, "A-001")
    decisions = {(c["field"], c["original"]): c["decision"] for c in again["characters"]}
    assert decisions == {
        ("members.0.name", "髙"): None,  # the newcomer's: not decided yet
        ("members.1.name", "髙"): "gaiji",
        ("members.1.name", "𠮷"): None,
        ("members.2.name", "髙"): "substitute",
    }
    assert again["characters_flagged"] == 2
