"""Issue 18: the admin sets up queues (the ticket machine's buttons) and counters on screen."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.platform.audit.models import AuditEvent
from backend.seed import (
    DEMO_PASSWORD,
    DEMO_TENANT_CODE,
    DEMO_TICKET_MACHINE_TOKEN,
    seed_demo,
)


def _login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


def _main_office(client: TestClient) -> dict[str, Any]:
    offices = client.get("/api/v1/setup/offices").json()
    return next(o for o in offices if o["code"] == "main")


def test_a_new_button_and_counter_reach_the_ticket_machine(client: TestClient, db: Session) -> None:
    seed_demo(db)
    admin = _login(client, "admin")
    office = _main_office(client)
    assert [q["prefix"] for q in office["queues"]] == ["A", "B", "C"]

    created = client.post(
        f"/api/v1/setup/offices/{office['id']}/queues",
        json={"prefix": "D", "name_ja": "おくやみ", "name_en": "Bereavement", "sort_order": 90,
              "default_service_minutes": 30, "issue_closes_at": "16:00"},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    queue = next(q for q in created.json()["queues"] if q["prefix"] == "D")
    counter = client.post(
        f"/api/v1/setup/offices/{office['id']}/counters",
        json={
            "code": "7",
            "name": "7番窓口（おくやみ）",
            "floor": "2F",
            "queue_ids": [queue["id"]],
        },
        headers=admin,
    )
    assert counter.status_code == 201, counter.text
    seven = next(c for c in counter.json()["counters"] if c["code"] == "7")
    assert seven["queue_ids"] == [queue["id"]]

    machine = client.get(
        "/api/v1/ticket-machine/queues",
        headers={"authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"},
    )
    assert "おくやみ" in [q["name_ja"] for q in machine.json()["queues"]]

    renamed = client.patch(
        f"/api/v1/setup/queues/{queue['id']}", json={"name_ja": "おくやみコーナー"}, headers=admin
    )
    assert renamed.status_code == 200
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "setup.queue_changed")).all()
    assert events[-1].detail["changes"] == {"name_ja": ["おくやみ", "おくやみコーナー"]}

    served = client.patch(f"/api/v1/setup/counters/{seven['id']}", json={"queue_ids": []},
                          headers=admin)  # fmt: skip
    assert next(c for c in served.json()["counters"] if c["code"] == "7")["queue_ids"] == []


def test_wrong_input_is_refused_with_a_message(client: TestClient, db: Session) -> None:
    seed_demo(db)
    admin = _login(client, "admin")
    office = _main_office(client)
    url = f"/api/v1/setup/offices/{office['id']}/queues"
    base = {"name_ja": "試験", "name_en": "Test"}
    assert client.post(url, json={**base, "prefix": "A"}, headers=admin).status_code == 409
    assert client.post(url, json={**base, "prefix": "a1"}, headers=admin).status_code == 422
    late = {**base, "prefix": "E", "issue_closes_at": "25:00"}
    assert client.post(url, json=late, headers=admin).status_code == 422
    other = client.post(
        f"/api/v1/setup/offices/{office['id']}/counters",
        json={"code": "8", "name": "8番", "queue_ids": ["f" * 32]},
        headers=admin,
    )
    assert other.status_code == 422
    assert (
        client.patch(f"/api/v1/setup/offices/{'0' * 32}", json={}, headers=admin).status_code == 404
    )


def test_only_the_admin_sets_up(client: TestClient, db: Session) -> None:
    seed_demo(db)
    clerk = _login(client, "clerk")
    assert client.get("/api/v1/setup/offices", headers=clerk).status_code == 403
