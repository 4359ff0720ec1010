"""Staff login: audit events, throttling, lockout persisted; headers; size limits; devices."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from security_world import device_with_token, login
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity import throttle
from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device
from backend.platform import access
from backend.platform.access_matrix import COMMAND, DOC, render, route_permissions
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


def test_an_account_without_a_password_refuses_every_password(
    client: TestClient, db: Session
) -> None:
    """An OIDC-only account: not even the text of the dummy hash used for timing logs in."""
    from backend.identity.staff.models import StaffAccount

    home = seed_demo(db)
    db.add(StaffAccount(tenant_id=home.id, username="sso", display_name="SSO", role="clerk",
                        password_hash=None, oidc_subject="https://idp.invalid#1"))  # fmt: skip
    db.flush()
    assert _attempt(client, "sso", "not-a-real-password") == 401
    assert _attempt(client, "sso", "") == 422


def test_failure_window_forgets_old_failures(db: Session) -> None:
    start = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    now = [start]
    window = throttle.FailureWindow("test", limit=2, window=10.0, clock=lambda: now[0])
    window.fail(db, "k")
    window.fail(db, "k")
    assert window.blocked(db, "k") and not window.blocked(db, "other")
    now[0] = start + dt.timedelta(seconds=11)
    assert not window.blocked(db, "k")


def test_failures_are_counted_in_the_database_by_digest(db: Session) -> None:
    """Every replica sees the same count; the row never holds the address itself."""
    from backend.identity.throttle import LoginFailure

    window = throttle.FailureWindow("address", limit=1)
    window.fail(db, "203.0.113.77")
    assert throttle.FailureWindow("address", limit=1).blocked(db, "203.0.113.77")
    (row,) = db.scalars(select(LoginFailure)).all()
    assert "203.0.113.77" not in row.key_digest and len(row.key_digest) == 64


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


def test_permission_tables_in_the_doc_match_the_code(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    document = DOC.read_text(encoding="utf-8")
    assert render(document, app) == document, f"docs/security.md is stale: run `{COMMAND}`"
    # The check can fail: a route guarded by another permission changes the rendered doc.
    permissions = route_permissions(app)
    assert permissions[("GET", "/api/v1/audit/verify")] is access.Permission.AUDIT_READ
    assert "| `GET /api/v1/audit/verify` | `audit.read` |" in document


# Checked outside a route's ``require``: the agents' WebSocket handshake, and the case search
# when it is asked by name or birth date (the same route serves a search by 受付番号 to clerks).
OUTSIDE_ROUTES = {access.Permission.AGENT_CONNECT, access.Permission.CASE_SEARCH_PERSONAL}


def test_every_granted_permission_guards_a_route(client: TestClient) -> None:
    """A permission in the matrix that no route requires is a promise nobody keeps."""
    app: FastAPI = client.app  # type: ignore[assignment]
    required = {p for p in route_permissions(app).values() if p is not None}
    granted = set().union(*access.ROLE_PERMISSIONS.values(), *access.DEVICE_PERMISSIONS.values())
    assert granted - required == OUTSIDE_ROUTES
    assert required <= granted


def test_access_without_identity_installed_refuses_everyone(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(db)
    headers = login(client, "admin")
    assert client.get("/api/v1/audit/verify", headers=headers).status_code == 200
    monkeypatch.setattr(access, "_hooks", None)
    assert client.get("/api/v1/audit/verify", headers=headers).status_code == 401
    assert access.authenticate_device_token(db, "mdt_anything") is None


def test_device_token_lookup_is_shared_and_ignores_revoked(client: TestClient, db: Session) -> None:
    home = seed_demo(db)
    token = device_with_token(db, home, access.DeviceKind.AGENT)
    device = access.authenticate_device_token(db, token)
    assert device is not None and device.kind is access.DeviceKind.AGENT
    assert device.tenant_id == home.id
    assert access.authenticate_device_token(db, token + "x") is None
    row = db.get(Device, device.id)
    assert row is not None
    row.revoked_at = row.created_at
    db.flush()
    assert access.authenticate_device_token(db, token) is None


def test_a_staff_session_is_checked_on_every_request(client: TestClient, db: Session) -> None:
    """The one-statement session check (``auth.service.resume``) keeps every refusal, on the
    very next request: a write without the CSRF token, a deactivated account, a logged-out
    session. Nothing of the session is cached between requests."""
    from backend.identity.staff.models import StaffAccount

    seed_demo(db)
    headers = login(client, "clerk")
    counters = client.get("/api/v1/counters", headers={"cookie": headers["cookie"]})
    assert counters.status_code == 200
    counter = counters.json()[0]["id"]
    no_csrf = client.post(f"/api/v1/counters/{counter}/open", headers={"cookie": headers["cookie"]})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf_failed"
    assert client.post(f"/api/v1/counters/{counter}/open", headers=headers).status_code == 200
    account = db.scalars(select(StaffAccount).where(StaffAccount.username == "clerk")).one()
    account.active = False
    db.flush()
    assert client.get("/api/v1/counters", headers=headers).status_code == 401
    account.active = True
    db.flush()
    assert client.get("/api/v1/counters", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/counters", headers=headers).status_code == 401
