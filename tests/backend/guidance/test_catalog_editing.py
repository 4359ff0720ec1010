"""The admin console's catalog editor over the API (issue 18): browse, edit one procedure in a
draft with errors per field, try the draft on a sample household, activate and roll back with
the change in words in the audit, and nothing of it for a clerk."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from guidance_builders import login
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.guidance import editing
from backend.guidance.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from backend.platform.audit.models import AuditEvent
from backend.seed import seed_demo

SAMPLE = DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")


def form(client: TestClient, headers: dict[str, str], pid: str, version: int | None = None) -> Any:
    query = f"?version={version}" if version else ""
    browse = client.get(f"/api/v1/catalog/procedures{query}", headers=headers).json()
    return next(p for p in browse["procedures"] if p["id"] == pid)


def audits(db: Session, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    return list(db.scalars(query.execution_options(unscoped=True)))


def test_browse_edit_in_a_draft_with_errors_per_field(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "admin")
    browse = client.get("/api/v1/catalog/procedures", headers=headers).json()
    assert browse["number"] is None and browse["active"] and not browse["draft"]
    assert (
        "moving-in" in browse["events"]
        and {"id": "shimin", "name": "市民課", "department": None} in browse["departments"]
    )
    notice = next(p for p in browse["procedures"] if p["id"] == "moving-in-notice")
    assert notice["deadline"]["days"] == 14 and "from_abroad" in notice["rules"][1]["when"]

    draft = client.post("/api/v1/catalog/drafts", json={}, headers=headers)
    assert draft.status_code == 201, draft.text
    number = draft.json()["number"]

    bad = dict(notice, deadline={"days": "十五"}, fee_yen=-5, counter="nowhere")
    refused = client.put(
        f"/api/v1/catalog/versions/{number}/procedures/moving-in-notice",
        json={"procedure": bad},
        headers=headers,
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "procedure_invalid"
    by_field = {f["field"]: f for f in error["fields"]}
    assert set(by_field) == {"deadline.days", "fee_yen"}
    assert by_field["deadline.days"]["loc"] == ["deadline", "days"]
    assert "整数" in by_field["deadline.days"]["message"]

    # the catalog's reference checks come back on the field too
    unknown = dict(notice, counter="nowhere", rules=[{"reason": "x", "when": "{fact: nothing}"}])
    refused = client.put(
        f"/api/v1/catalog/versions/{number}/procedures/moving-in-notice",
        json={"procedure": unknown},
        headers=headers,
    )
    fields = {f["field"]: f["message"] for f in refused.json()["error"]["fields"]}
    assert "窓口 'nowhere' がありません" in fields["counter"]

    broken = dict(notice, rules=[{"reason": "x", "when": "{fact: [unclosed"}])
    refused = client.put(
        f"/api/v1/catalog/versions/{number}/procedures/moving-in-notice",
        json={"procedure": broken},
        headers=headers,
    )
    assert [f["field"] for f in refused.json()["error"]["fields"]] == ["rules.0.when"]

    saved = client.put(
        f"/api/v1/catalog/versions/{number}/procedures/moving-in-notice",
        json={"procedure": dict(notice, deadline={"days": 15}, name_en="Moving-in notice")},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    assert "転入届の期限を 14日 → 15日" in saved.json()["changes"]
    assert form(client, headers, "moving-in-notice", number)["deadline"]["days"] == 15
    words = client.get(f"/api/v1/catalog/versions/{number}/changes", headers=headers).json()
    assert words == ["転入届の英語の名称を なし → Moving-in notice", "転入届の期限を 14日 → 15日"]
    [event] = audits(db, "catalog.procedure_saved")
    assert event.detail["procedure"] == "moving-in-notice" and event.actor

    # the comments of the rest of the file are kept
    source = client.get(f"/api/v1/catalog/versions/{number}", headers=headers).json()["source"]
    assert source.startswith("# 手続きカタログ（見本）") and source.count("\n#") == SAMPLE.count(
        "\n#"
    )


def test_a_draft_saved_by_someone_else_meanwhile_is_not_overwritten(
    client: TestClient, db: Session
) -> None:
    seed_demo(db)
    headers = login(client, "admin")
    number = client.post("/api/v1/catalog/drafts", json={}, headers=headers).json()["number"]
    opened = client.get(f"/api/v1/catalog/procedures?version={number}", headers=headers).json()
    notice = next(p for p in opened["procedures"] if p["id"] == "moving-in-notice")
    url = f"/api/v1/catalog/versions/{number}/procedures/moving-in-notice"
    first = {"procedure": dict(notice, minutes=25), "expected_digest": opened["digest"]}
    assert client.put(url, json=first, headers=headers).status_code == 200
    second = {"procedure": dict(notice, minutes=30), "expected_digest": opened["digest"]}
    refused = client.put(url, json=second, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "catalog_draft_changed"
    assert form(client, headers, "moving-in-notice", number)["minutes"] == 25


def test_a_version_once_active_is_not_edited_in_place(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "admin")
    number = client.post("/api/v1/catalog/drafts", json={}, headers=headers).json()["number"]
    client.post(f"/api/v1/catalog/versions/{number}/activate", headers=headers)
    notice = form(client, headers, "moving-in-notice")
    refused = client.put(
        f"/api/v1/catalog/versions/{number}/procedures/moving-in-notice",
        json={"procedure": notice},
        headers=headers,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "catalog_version_not_draft"


def test_trial_activate_and_roll_back_are_audited_with_the_change(
    client: TestClient, db: Session
) -> None:
    seed_demo(db)
    headers = login(client, "admin")
    households = client.get("/api/v1/catalog/trial-households", headers=headers).json()
    assert {"moving-in-family", "birth", "death-elderly"} <= {h["id"] for h in households}

    number = client.post("/api/v1/catalog/drafts", json={}, headers=headers).json()["number"]
    notice = form(client, headers, "moving-in-notice")
    client.put(
        f"/api/v1/catalog/versions/{number}/procedures/moving-in-notice",
        json={"procedure": dict(notice, deadline={"days": 10})},
        headers=headers,
    )
    nhi = form(client, headers, "nhi-enroll")
    client.put(
        f"/api/v1/catalog/versions/{number}/procedures/nhi-enroll",
        json={"procedure": dict(nhi, events=["birth"])},
        headers=headers,
    )
    tried = client.post(
        f"/api/v1/catalog/versions/{number}/trial",
        json={"household": "moving-in-family"},
        headers=headers,
    )
    assert tried.status_code == 200, tried.text
    result = tried.json()
    assert [p["id"] for p in result["removed"]] == ["nhi-enroll"] and result["added"] == []
    [changed] = result["changed"]
    assert changed["id"] == "moving-in-notice" and changed["fields"] == ["deadline"]
    assert changed["deadline"] == "2026-11-30"  # 10 days after the move, not 14
    assert changed["before"]["deadline"] == "2026-12-04"
    unknown = client.post(
        f"/api/v1/catalog/versions/{number}/trial", json={"household": "nobody"}, headers=headers
    )
    assert unknown.status_code == 404

    first = client.post("/api/v1/catalog/drafts", json={}, headers=headers).json()["number"]
    assert client.post(f"/api/v1/catalog/versions/{first}/activate", headers=headers).is_success
    assert client.post(f"/api/v1/catalog/versions/{number}/activate", headers=headers).is_success
    activation = audits(db, "catalog.activate")[-1]
    assert activation.detail["number"] == number and activation.actor
    assert "転入届の期限を 14日 → 10日" in activation.detail["changes"]

    rolled = client.post("/api/v1/catalog/rollback", headers=headers)
    assert rolled.json()["number"] == first
    [rollback] = audits(db, "catalog.rollback")
    assert rollback.detail["from"] == number and rollback.detail["to"] == first
    assert "転入届の期限を 10日 → 14日" in rollback.detail["changes"]


def test_a_clerk_may_not_edit_or_try_catalogs(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    notice = {"name": "転入届"}
    for method, path, body in [
        ("GET", "/api/v1/catalog/procedures", None),
        ("POST", "/api/v1/catalog/drafts", {}),
        ("PUT", "/api/v1/catalog/versions/1/procedures/moving-in-notice", {"procedure": notice}),
        ("GET", "/api/v1/catalog/trial-households", None),
        ("POST", "/api/v1/catalog/versions/1/trial", {"household": "birth"}),
    ]:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)


def test_a_new_procedure_is_appended_and_the_sample_round_trips() -> None:
    spec = parse_catalog(SAMPLE).spec
    for procedure in spec.procedures:
        assert editing.validate_procedure(procedure.id, editing.form_of(procedure)) == procedure
    extra = editing.validate_procedure(
        "bicycle-parking",
        {"name": "駐輪場の申込", "department": "shimin", "counter": "shimin-idou",
         "rules": [{"reason": "自転車をお持ちのため", "when": ""}],
         "items": [{"text": "印鑑", "when": ""}]},
    )  # fmt: skip
    text, position = editing.put_procedure(SAMPLE, extra)
    assert position == len(spec.procedures)
    assert parse_catalog(text).spec.procedures[-1] == extra
