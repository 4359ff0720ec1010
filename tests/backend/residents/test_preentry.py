"""Pre-entry: the resident's public page, the clerk opening a visit from the code, and each
rule (one use, retention, no 12-digit number, per municipality, switched off by default)."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.residents import preentry
from backend.residents.models import PreEntry, ResidentServiceSettings
from backend.seed import DEMO_TENANT_CODE
from tests.helpers.residents import World, staff_headers

BASE = f"/api/v1/public/{DEMO_TENANT_CODE}"
MEMBERS = [
    {"name": "グエン　ティ　ラン", "birth_date": "1992-05-01", "sex": "2", "relationship": "妻",
     "nationality": "VN"},
    {"name": "グエン　ヴァン　ミン", "birth_date": "2019-04-02", "sex": "1", "relationship": "子",
     "nationality": "VN"},
]  # fmt: skip


def _entry(**extra: object) -> dict[str, object]:
    return {
        "lang": "vi",
        "event": "moving-in",
        "phone": "090-1234-5678",
        "members": MEMBERS,
        "answers": {"has_dog": False, "members.1.insurance": "national_health"},
        "certificates": [{"kind": "residence", "copies": 2, "scope": "household"}],
        **extra,
    }


def _asked(entry: dict[str, object]) -> dict[str, object]:
    """What the page sends for guidance: the event, members and answers only."""
    return {k: entry[k] for k in ("lang", "event", "members", "answers")}


def _visit(client: TestClient, headers: dict[str, str], world: World) -> str:
    response = client.post("/api/v1/visits", json={"counter_id": world.counter.id}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_setup_and_guidance_in_the_residents_language(client: TestClient, world: World) -> None:
    setup = client.get(f"{BASE}/setup", params={"lang": "vi"}).json()
    assert setup["preentry"] and setup["reservations"]
    assert {"value": "moving-in", "label": "Chuyển đến", "label_ja": "転入"} in setup["events"]
    guidance = client.post(f"{BASE}/guidance", json=_asked(_entry())).json()
    assert guidance["procedures"], guidance
    first = guidance["procedures"][0]
    assert first["name_ja"] and first["counter_ja"]
    assert all(q["text"] for q in guidance["questions"])


def test_preentry_opens_the_visit_once(client: TestClient, db: Session, world: World) -> None:
    issued = client.post(f"{BASE}/preentries", json=_entry())
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["code"].startswith("PE-") and body["qr_svg"].startswith("<svg")
    stored = db.scalars(select(PreEntry)).one()
    raw = db.connection().exec_driver_sql("SELECT payload FROM preentries").scalar_one()
    assert "090-1234-5678" not in raw and "グエン" not in raw  # encrypted at rest
    assert stored.payload and stored.payload["phone"] == "090-1234-5678"

    headers = staff_headers(client)
    visit_id = _visit(client, headers, world)
    scanned = body["code"].lower().replace("-", "")  # a scanner may drop the dashes
    opened = client.post(
        f"/api/v1/visits/{visit_id}/preentry", json={"code": scanned}, headers=headers
    )
    assert opened.status_code == 200, opened.text
    visit = opened.json()
    assert visit["event"] == "moving-in"
    assert [m["source"] for m in visit["members"]] == ["resident", "resident"]
    assert [m["name"] for m in visit["members"]] == [m["name"] for m in MEMBERS]
    assert visit["members"][1]["insurance"] == "national_health"
    assert visit["facts"]["has_dog"] is False
    assert visit["certificates"][0]["copies"] == 2
    db.refresh(stored)
    assert stored.used_at is not None and stored.payload is None and stored.visit_id == visit_id

    again = client.post(
        f"/api/v1/visits/{_visit(client, headers, world)}/preentry",
        json={"code": body["code"]},
        headers=headers,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "preentry_used"


def test_expired_preentry_is_refused_and_purged(
    client: TestClient, db: Session, world: World
) -> None:
    code = client.post(f"{BASE}/preentries", json=_entry()).json()["code"]
    entry = db.scalars(select(PreEntry)).one()
    assert entry.expires_at - entry.created_at == dt.timedelta(days=7)
    entry.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.flush()
    headers = staff_headers(client)
    response = client.post(
        f"/api/v1/visits/{_visit(client, headers, world)}/preentry",
        json={"code": code},
        headers=headers,
    )
    assert response.status_code == 410 and response.json()["error"]["code"] == "preentry_expired"
    assert preentry.purge_expired(db) == 1
    assert db.scalars(select(PreEntry)).all() == []


def test_retention_follows_the_setting(client: TestClient, db: Session, world: World) -> None:
    settings = db.scalars(select(ResidentServiceSettings)).one()
    settings.preentry_retention_days = 2
    db.flush()
    client.post(f"{BASE}/preentries", json=_entry())
    entry = db.scalars(select(PreEntry)).one()
    assert entry.expires_at - entry.created_at == dt.timedelta(days=2)


def test_twelve_digit_numbers_are_refused_anywhere(client: TestClient, world: World) -> None:
    cases = [
        _entry(new_block="1234 5678 9012"),
        _entry(members=[{**MEMBERS[0], "name": "１２３４５６７８９０１２"}]),
        _entry(answers={"note": "123456789012"}),
    ]
    for case in cases:
        response = client.post(f"{BASE}/preentries", json=case)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "individual_number_refused"
        assert "123456789012" not in response.text
    guided = client.post(f"{BASE}/guidance", json=_asked(_entry(answers={"x": "123456789012"})))
    assert guided.status_code == 422


def test_switched_off_and_unknown_municipalities_answer_alike(
    client: TestClient, db: Session, world: World
) -> None:
    db.scalars(select(ResidentServiceSettings)).one().preentry_enabled = False
    db.flush()
    off = client.post(f"{BASE}/preentries", json=_entry())
    unknown = client.post("/api/v1/public/999999/preentries", json=_entry())
    assert off.status_code == unknown.status_code == 404
    assert off.json() == unknown.json()


def test_a_code_of_another_municipality_is_not_found(
    client: TestClient, db: Session, world: World, other: object
) -> None:
    code = client.post("/api/v1/public/131016/preentries", json=_entry()).json()["code"]
    headers = staff_headers(client)
    response = client.post(
        f"/api/v1/visits/{_visit(client, headers, world)}/preentry",
        json={"code": code},
        headers=headers,
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "preentry_not_found"


def test_public_writes_are_rate_limited(client: TestClient, world: World) -> None:
    statuses = [client.post(f"{BASE}/preentries", json=_entry()).status_code for _ in range(31)]
    assert statuses[:30] == [201] * 30
    assert statuses[30] == 429
