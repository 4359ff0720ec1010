"""The guidance and catalog API on the real app and database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from guidance_builders import login, person, visit
from sqlalchemy.orm import Session

from backend.guidance.catalog import DEFAULT_CATALOG_PATH
from backend.guidance.models import CatalogVersion
from backend.identity.tenants.models import Tenant
from backend.seed import DEMO_TENANT_CODE, seed_demo

SAMPLE = DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")


def demo_visit(**facts: Any) -> dict[str, Any]:
    record = visit(
        "moving-in", [person("世帯主", "1986-05-05"), person("長男", "2019-06-01")], facts=facts
    )
    data = record.to_json_dict()
    data["tenant"] = {"code": DEMO_TENANT_CODE, "name": "窓口デモ市"}
    return data


def test_guidance_with_the_sample_catalog(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    response = client.post(
        "/api/v1/guidance",
        json={"visit": demo_visit(has_dog=None), "answers": {"has_dog": "true"}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [p["id"] for p in body["procedures"]]
    assert "dog-registration" in ids and "school-transfer" in ids
    assert body["questions"] == []
    assert body["totals"]["procedures"] == len(ids)


def test_guidance_refuses_another_tenants_visit(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    other = demo_visit()
    other["tenant"] = {"code": "131016", "name": "千代田区"}
    response = client.post("/api/v1/guidance", json={"visit": other}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "tenant_mismatch"


def test_clerk_cannot_manage_catalogs(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    response = client.post("/api/v1/catalog/versions", json={"source": SAMPLE}, headers=headers)
    assert response.status_code == 403


def test_upload_validate_diff_activate_rollback(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "admin")
    bad = SAMPLE.replace(
        "fee_yen: 300\n    fee_per_copy: residence", "fee_yen: -1\n    fee_per_copy: residence"
    )
    checked = client.post("/api/v1/catalog/validate", json={"source": bad}, headers=headers).json()
    assert checked["valid"] is False
    (issue,) = checked["issues"]
    assert issue["field"].endswith(".fee_yen") and issue["line"] > 1
    refused = client.post("/api/v1/catalog/versions", json={"source": bad}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "catalog_invalid"

    first = client.post("/api/v1/catalog/versions", json={"source": SAMPLE}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["number"] == 1 and first.json()["active"] is False
    dearer = SAMPLE.replace(
        "fee_yen: 300\n    fee_per_copy: residence", "fee_yen: 350\n    fee_per_copy: residence"
    ).replace('version: "2026.1-sample"', 'version: "2026.2"')
    second = client.post(
        "/api/v1/catalog/versions", json={"source": dearer, "note": "住民票 350円"}, headers=headers
    )
    assert second.json()["number"] == 2

    diff = client.get("/api/v1/catalog/versions/2/diff?against=1", headers=headers).json()
    assert diff["procedures"]["changed"] == {"residence-certificate": ["fee_yen"]}
    assert any(line.startswith("+    fee_yen: 350") for line in diff["text"])
    dated = {(r["procedure"], r["valid_from"], r["changed"]) for r in diff["rule_dates"]}
    assert ("child-allowance", "2024-10-01", False) in dated

    assert client.get("/api/v1/catalog/active", headers=headers).json()["number"] is None
    for number in (1, 2):
        activated = client.post(f"/api/v1/catalog/versions/{number}/activate", headers=headers)
        assert activated.status_code == 200, activated.text
    assert client.get("/api/v1/catalog/active", headers=headers).json()["number"] == 2

    certificate = demo_visit()
    certificate["certificates"] = [{"kind": "residence", "copies": 1}]
    guided = client.post("/api/v1/guidance", json={"visit": certificate}, headers=headers).json()
    assert guided["totals"]["fee_yen"] == 350
    assert guided["catalog_version"].endswith("#v2")

    rolled = client.post("/api/v1/catalog/rollback", headers=headers)
    assert rolled.status_code == 200 and rolled.json()["number"] == 1
    guided = client.post("/api/v1/guidance", json={"visit": certificate}, headers=headers).json()
    assert guided["totals"]["fee_yen"] == 300
    listed = client.get("/api/v1/catalog/versions", headers=headers).json()
    assert [(v["number"], v["active"]) for v in listed] == [(1, True), (2, False)]


def test_versions_of_another_tenant_are_invisible(client: TestClient, db: Session) -> None:
    other = Tenant(code="131016", name="千代田区")
    db.add(other)
    db.flush()
    db.add(
        CatalogVersion(
            tenant_id=other.id,
            number=1,
            catalog_id="other",
            label="x",
            digest="0" * 64,
            source=SAMPLE,
            procedures=1,
            active=True,
        )
    )
    db.flush()
    seed_demo(db)
    headers = login(client, "admin")
    assert client.get("/api/v1/catalog/versions", headers=headers).json() == []
    assert client.get("/api/v1/catalog/versions/1", headers=headers).status_code == 404
    assert client.get("/api/v1/catalog/active", headers=headers).json()["number"] is None
