"""Staff login: audit events, throttling, lockout persisted; headers; size limits; devices."""

from __future__ import annotations

from fastapi.testclient import TestClient
from security_world import login
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity import throttle
from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device
from backend.platform.access_matrix import DOC, matrix_markdown
from backend.platform.audit.models import AuditEvent
from backend.platform.middleware import CONTENT_SECURITY_POLICY, DEFAULT_BODY_LIMIT
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo


def _actions(db: Session) -> list[str]:
    return list(
        db.scalars(select(AuditEvent.action).order_by(AuditEvent.tenant_id, AuditEvent.seq))
    )


def _attempt(client: TestClient, username: str, password: str) -> int:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": password},
    )
    return response.status_code


def test_login_failure_lockout_and_logout_are_audited(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    for _ in range(5):
        assert _attempt(client, "backoffice", "wrong") == 401
    assert _attempt(client, "backoffice", DEMO_PASSWORD) == 429
    actions = _actions(db)
    assert actions[:2] == ["auth.login", "auth.logout"]
    assert actions.count("auth.login_failed") == 5
    assert "auth.lockout" in actions and actions[-1] == "auth.login_locked"


def test_throttle_by_username_covers_unknown_accounts(client: TestClient, db: Session) -> None:
    seed_demo(db)
    for _ in range(throttle.MAX_FAILURES_PER_USERNAME):
        assert _attempt(client, "nobody", "wrong") == 401
    assert _attempt(client, "nobody", "wrong") == 429


def test_throttle_by_address_stops_spraying(client: TestClient, db: Session) -> None:
    seed_demo(db)
    for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
        assert _attempt(client, f"guess{i}", "wrong") == 401
    # a real account with the right password, from the same address: still refused for now
    assert _attempt(client, "admin", DEMO_PASSWORD) == 429


def test_failure_window_forgets_old_failures() -> None:
    now = [0.0]
    window = throttle.FailureWindow(limit=2, window=10.0, clock=lambda: now[0])
    window.fail("k")
    window.fail("k")
    assert window.blocked("k")
    now[0] = 11.0
    assert not window.blocked("k")


def test_csrf_is_required_for_state_changes(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "admin")
    body = {"kind": "display", "name": "ロビー表示"}
    no_csrf = {"cookie": headers["cookie"]}
    refused = client.post("/api/v1/devices", json=body, headers=no_csrf)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert client.post("/api/v1/devices", json=body, headers=headers).status_code == 201


def test_security_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers
    https = TestClient(client.app, base_url="https://testserver")
    assert "max-age=" in https.get("/healthz").headers["strict-transport-security"]
    assert client.get("/").headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_request_size_limit(client: TestClient) -> None:
    big = b"x" * (DEFAULT_BODY_LIMIT + 1)
    response = client.post(
        "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no content-length: counted while streaming
        for _ in range(3):
            yield b"x" * (DEFAULT_BODY_LIMIT // 2)

    streamed = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


def test_device_pairing_revoke_and_scope(client: TestClient, db: Session) -> None:
    seed_demo(db)
    admin = login(client, "admin")
    created = client.post(
        "/api/v1/devices", json={"kind": "display", "name": "ロビー表示"}, headers=admin
    )
    assert created.status_code == 201, created.text
    code = created.json()["pairing_code"]
    device_id = created.json()["device"]["id"]
    stored = db.get(Device, device_id)
    assert stored is not None and stored.pairing_code_hash and code not in stored.pairing_code_hash
    paired = client.post("/api/v1/devices/pair", json={"code": code.lower()})
    assert paired.status_code == 200, paired.text
    token = paired.json()["token"]
    assert paired.json()["permissions"] == ["board.read"]
    assert stored.token_hash == hash_token(token)
    # the code is spent
    assert client.post("/api/v1/devices/pair", json={"code": code}).status_code == 400
    bearer = {"authorization": f"Bearer {token}"}
    assert client.get("/api/v1/devices/me", headers=bearer).json()["device"]["id"] == device_id
    # a display may not manage devices
    assert client.get("/api/v1/devices", headers=bearer).status_code == 403
    listed = client.get("/api/v1/devices", headers={"cookie": admin["cookie"]}).json()
    mine = [d for d in listed if d["id"] == device_id]  # the demo seed has devices too
    assert len(mine) == 1 and mine[0]["paired"]
    revoked = client.post(f"/api/v1/devices/{device_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/devices/me", headers=bearer).status_code == 401
    actions = _actions(db)
    for action in ("device.created", "device.pairing_code_issued", "device.paired",
                   "device.revoked"):  # fmt: skip
        assert action in actions


def test_expired_pairing_code_is_refused(client: TestClient, db: Session) -> None:
    import datetime as dt

    seed_demo(db)
    admin = login(client, "admin")
    created = client.post(
        "/api/v1/devices", json={"kind": "ticket_machine", "name": "発券機"}, headers=admin
    ).json()
    device = db.get(Device, created["device"]["id"])
    assert device is not None and device.pairing_expires_at is not None
    device.pairing_expires_at -= dt.timedelta(minutes=11)
    db.flush()
    response = client.post("/api/v1/devices/pair", json={"code": created["pairing_code"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "pairing_failed"


def test_permission_matrix_in_the_doc_matches_the_code() -> None:
    assert matrix_markdown() in DOC.read_text(encoding="utf-8"), (
        "docs/security.md is stale: run `.venv/bin/python -m backend.platform.access_matrix`"
    )
