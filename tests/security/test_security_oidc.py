"""OpenID Connect login against a fake IdP on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest
from fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdP
from fastapi.testclient import TestClient
from security_world import login
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth import oidc
from backend.platform.audit.models import AuditEvent
from backend.seed import DEMO_TENANT_CODE, seed_demo


@pytest.fixture
def idp(client: TestClient, db: Session) -> Iterator[FakeIdP]:
    seed_demo(db)
    oidc.cache.clear()
    with FakeIdP() as provider:
        admin = login(client, "admin")
        settings = {
            "issuer": provider.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "role_claim": "groups",
            "role_map": {"madoguchi-clerks": "clerk", "madoguchi-admins": "tenant_admin"},
        }  # fmt: skip
        response = client.put("/api/v1/auth/oidc/provider", json=settings, headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["has_client_secret"] and "client_secret" not in response.json()
        yield provider
    oidc.cache.clear()


def _through_idp(client: TestClient) -> httpx.Response:
    start = client.get(f"/api/v1/auth/oidc/{DEMO_TENANT_CODE}/login", follow_redirects=False)
    assert start.status_code == 307, start.text
    authorize = start.headers["location"]
    assert "code_challenge=" in authorize and "nonce=" in authorize
    back = httpx.get(authorize, follow_redirects=False)
    assert back.status_code == 302
    callback = urlparse(back.headers["location"])
    return client.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def test_login_through_the_idp(client: TestClient, db: Session, idp: FakeIdP) -> None:
    done = _through_idp(client)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/staff/"
    assert "httponly" in done.headers["set-cookie"].lower()
    me = client.get("/api/v1/auth/me").json()["staff"]
    assert me["role"] == "clerk"
    # the role follows the IdP at the next login
    idp.claims["groups"] = ["madoguchi-admins", "madoguchi-clerks"]
    client.cookies.clear()
    assert _through_idp(client).status_code == 303
    assert client.get("/api/v1/auth/me").json()["staff"]["role"] == "tenant_admin"
    logins = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login").order_by(AuditEvent.seq)
    ).all()  # in the chain's order: without ORDER BY, PostgreSQL may return them in any order
    assert [e.detail["method"] for e in logins][-2:] == ["oidc", "oidc"]


@pytest.mark.parametrize("lie", ["wrong_key", "wrong_nonce", "wrong_audience", "expired"])
def test_a_bad_id_token_is_refused(client: TestClient, idp: FakeIdP, lie: str) -> None:
    idp.misbehave = lie
    done = _through_idp(client)
    assert done.status_code == 401
    assert done.json()["error"]["code"] == "oidc_bad_id_token"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_no_role_no_entry(client: TestClient, db: Session, idp: FakeIdP) -> None:
    idp.claims["groups"] = ["everyone"]
    done = _through_idp(client)
    assert done.status_code == 403 and done.json()["error"]["code"] == "oidc_no_role"
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert failed and failed[-1].detail["method"] == "oidc"


def test_state_is_single_use(client: TestClient, idp: FakeIdP) -> None:
    start = client.get(f"/api/v1/auth/oidc/{DEMO_TENANT_CODE}/login", follow_redirects=False)
    callback = urlparse(httpx.get(start.headers["location"]).headers["location"])
    first = client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert first.status_code == 303
    replay = client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "oidc_bad_state"


def test_unconfigured_tenant(client: TestClient, db: Session) -> None:
    seed_demo(db)
    response = client.get("/api/v1/auth/oidc/992003/login", follow_redirects=False)
    assert response.status_code == 404
