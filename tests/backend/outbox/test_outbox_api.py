"""Outbox over HTTP: destinations (admin), cases, replay, the pull feed with ack, schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter.models import Document
from backend.platform.db import session_scope
from backend.platform.outbox import delivery
from backend.platform.outbox.models import MessageStatus, OutboxMessage
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from contracts.handoff import handoff_json_schema

ROOT = Path(__file__).resolve().parents[3]


def _login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


def test_published_schema_file_equals_the_generated_schema(client: TestClient) -> None:
    published = json.loads((ROOT / "docs" / "schemas" / "handoff.json").read_text("utf-8"))
    assert published == handoff_json_schema()
    assert client.get("/api/v1/schemas/handoff.json").json() == published


def test_admin_creates_and_lists_destinations_others_may_not(
    client: TestClient, db: Session
) -> None:
    seed_demo(db)
    headers = _login(client, "admin")
    body = {"name": "rpa", "kind": "csv", "config": {"folder": "drop/rpa", "encoding": "cp932"}}
    created = client.post("/api/v1/outbox/destinations", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["config"]["delimiter"] == "comma"
    hook = {"name": "hook", "kind": "webhook", "config": {"url": "https://bo.invalid/h"}}
    refused = client.post("/api/v1/outbox/destinations", json=hook, headers=headers)
    assert refused.status_code == 422  # a webhook needs a secret
    hook["secret"] = "whsec_c2VjcmV0"
    listed = client.post("/api/v1/outbox/destinations", json=hook, headers=headers)
    assert listed.status_code == 201 and "secret" not in listed.json()
    names = [d["name"] for d in client.get("/api/v1/outbox/destinations").json()]
    assert names == ["backoffice-pull", "hook", "rpa", "rpa-csv"]  # with the demo's
    again = client.post("/api/v1/outbox/destinations", json=body, headers=headers)
    assert again.json()["error"]["code"] == "destination_exists"
    _login(client, "clerk")
    assert client.get("/api/v1/outbox/destinations").status_code == 403


def _app_client(committed_db: Any) -> TestClient:
    from backend.app import create_app

    return TestClient(create_app())


def test_pull_feed_in_order_acknowledged_by_cursor(committed_db: Any, handoff_helpers: Any) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.close_visits(session, committed_db.tenant_id, 3)
    while delivery.deliver_due():
        pass
    client = _app_client(committed_db)
    headers = _login(client, "backoffice")
    page = client.get("/api/v1/handoffs").json()
    assert [item["cursor"] for item in page["items"]] == [1, 2, 3]
    assert page["items"][0]["handoff"]["schema"] == "madoguchi.handoff/1"
    assert page["next_cursor"] == 3 and page["acked_cursor"] == 0
    assert [i["cursor"] for i in client.get("/api/v1/handoffs?after=2").json()["items"]] == [3]
    ack = client.post("/api/v1/handoffs/ack", json={"cursor": 2}, headers=headers)
    assert ack.status_code == 200, ack.text
    assert ack.json() == {"destination": "feed", "acked_cursor": 2, "acknowledged": 2}
    assert [i["cursor"] for i in client.get("/api/v1/handoffs").json()["items"]] == [3]
    ahead = client.post("/api/v1/handoffs/ack", json={"cursor": 9}, headers=headers)
    assert ahead.json()["error"]["code"] == "cursor_ahead"
    with session_scope(unscoped=True) as session:
        statuses = list(
            session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.feed_seq))
        )
    assert statuses == [MessageStatus.DELIVERED, MessageStatus.DELIVERED, MessageStatus.PUBLISHED]
    _login(client, "clerk")
    assert client.get("/api/v1/handoffs").status_code == 403


def test_cases_show_documents_and_every_delivery_and_admin_replays(
    committed_db: Any, handoff_helpers: Any
) -> None:
    h = handoff_helpers
    content = b"%PDF-1.7 synthetic"
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.add_destination(
            session, committed_db.tenant_id,
            **h.webhook_destination("http://127.0.0.1:9/down", max_attempts=1),
        )  # fmt: skip
        (first, _) = h.close_visits(session, committed_db.tenant_id, 1)
        document = Document(
            tenant_id=committed_db.tenant_id, visit_id=first.key, form="moving-in",
            filename="moving-in.pdf", content_type="application/pdf",
            sha256=hashlib.sha256(content).hexdigest(), content=content,
        )  # fmt: skip
        session.add(document)
    while delivery.deliver_due():
        pass
    client = _app_client(committed_db)
    _login(client, "backoffice")
    (case,) = client.get("/api/v1/outbox/cases").json()
    assert case["documents"][0]["form"] == "moving-in"
    states = {d["destination"]: d["status"] for d in case["deliveries"]}
    assert states == {"feed": "published", "webhook": "dead"}
    dead = next(d for d in case["deliveries"] if d["status"] == "dead")
    detail = client.get(f"/api/v1/outbox/messages/{dead['id']}").json()
    assert len(detail["attempt_log"]) == 1 and not detail["attempt_log"][0]["ok"]
    pdf = client.get(case["documents"][0]["url"])
    assert pdf.content == content and pdf.headers["x-content-sha256"] == document.sha256
    # the back office may not replay; an admin may
    headers = _login(client, "backoffice")
    replay_url = f"/api/v1/outbox/messages/{dead['id']}/replay"
    assert client.post(replay_url, headers=headers).status_code == 403
    headers = _login(client, "admin")
    replayed = client.post(replay_url, headers=headers)
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"


def test_another_municipality_sees_nothing_of_ours(committed_db: Any, handoff_helpers: Any) -> None:
    from backend.identity.auth.passwords import hash_password
    from backend.identity.staff.models import StaffAccount
    from backend.identity.tenants.models import Tenant

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        (message,) = h.close_visits(session, committed_db.tenant_id, 1)
        other = Tenant(code="131016", name="千代田区")
        session.add(other)
        session.flush()
        session.info["tenant_id"] = other.id
        session.add(
            StaffAccount(tenant_id=other.id, username="admin", display_name="他市　管理",
                         role="tenant_admin", password_hash=hash_password(DEMO_PASSWORD))
        )  # fmt: skip
    while delivery.deliver_due():
        pass
    client = _app_client(committed_db)
    login = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": "131016", "username": "admin", "password": DEMO_PASSWORD},
    )
    headers = {"x-csrf-token": login.json()["csrf_token"]}
    assert client.get("/api/v1/outbox/cases").json() == []
    assert client.get(f"/api/v1/outbox/messages/{message.id}").status_code == 404
    replay = client.post(f"/api/v1/outbox/messages/{message.id}/replay", headers=headers)
    assert replay.status_code == 404
    assert client.get("/api/v1/handoffs").json()["error"]["code"] == "no_pull_destination"
    assert client.get("/api/v1/outbox/destinations").json() == []


def test_a_back_office_system_pulls_with_a_device_token(
    committed_db: Any, handoff_helpers: Any
) -> None:
    """A core system or RPA robot pulls without a person's login, and can do nothing else."""
    from backend.identity.auth.tokens import hash_token
    from backend.identity.devices.models import Device, DeviceKind

    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.close_visits(session, committed_db.tenant_id, 2)
        session.add(
            Device(
                tenant_id=committed_db.tenant_id,
                kind=DeviceKind.BACK_OFFICE_SYSTEM.value,
                name="住民記録システム連携",
                token_hash=hash_token("synthetic-system-token"),
            )
        )
    while delivery.deliver_due():
        pass
    client = _app_client(committed_db)
    bearer = {"authorization": "Bearer synthetic-system-token"}
    page = client.get("/api/v1/handoffs", headers=bearer)
    assert page.status_code == 200, page.text
    assert [item["cursor"] for item in page.json()["items"]] == [1, 2]
    ack = client.post("/api/v1/handoffs/ack", json={"cursor": 2}, headers=bearer)
    assert ack.status_code == 200 and ack.json()["acked_cursor"] == 2
    assert client.get("/api/v1/visits", headers=bearer).status_code in (403, 405)
    assert client.post("/api/v1/tickets", json={}, headers=bearer).status_code == 403
