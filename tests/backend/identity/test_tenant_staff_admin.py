"""Issue 18: a municipality is created and its staff managed without a developer.

API (operator: tenants; tenant admin: staff) and the ``madoguchi tenant|staff`` commands, whose
exit codes are a contract: 0 and the id on success, 2 and one line on stderr otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.identity.staff.models import StaffAccount, StaffSession
from backend.identity.tenants.models import Office, Tenant
from backend.platform.audit.models import AuditEvent
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from tests.helpers.cli_db import commands_database

NEW_CODE = "012025"  # 01202 + check digit 5 (JIS X 0402), a synthetic municipality
NEW_PASSWORD = "synthetic-pass-0001"


def _login(client: TestClient, code: str, username: str, password: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": code, "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


@pytest.fixture
def demo(db: Session) -> Tenant:
    return seed_demo(db)


def test_operator_creates_a_tenant_whose_admin_logs_in_at_once(
    client: TestClient, db: Session, demo: Tenant
) -> None:
    headers = _login(client, DEMO_TENANT_CODE, "operator", DEMO_PASSWORD)
    created = client.post(
        "/api/v1/tenants",
        json={"code": NEW_CODE, "name": "見本市", "admin_username": "admin1",
              "admin_password": NEW_PASSWORD},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    tenant_id = created.json()["id"]
    assert db.scalars(select(Office.name).where(Office.tenant_id == tenant_id)).one() == "本庁舎"
    codes = [row["code"] for row in client.get("/api/v1/tenants").json()]
    assert codes == sorted([DEMO_TENANT_CODE, NEW_CODE])

    client.cookies.clear()
    admin = _login(client, NEW_CODE, "admin1", NEW_PASSWORD)
    staff = client.get("/api/v1/staff", headers=admin).json()
    assert [(s["username"], s["role"]) for s in staff] == [("admin1", "tenant_admin")]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id)).all()
    assert "tenant.created" in actions and "staff.added" in actions


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("012026", "validation_failed"),
        ("12345", "validation_failed"),
        (DEMO_TENANT_CODE, "conflict"),
    ],
)
def test_invalid_or_duplicate_codes_are_refused(
    client: TestClient, demo: Tenant, code: str, error: str
) -> None:
    headers = _login(client, DEMO_TENANT_CODE, "operator", DEMO_PASSWORD)
    response = client.post(
        "/api/v1/tenants",
        json={
            "code": code,
            "name": "見本市",
            "admin_username": "a",
            "admin_password": NEW_PASSWORD,
        },
        headers=headers,
    )
    assert response.status_code in (400, 409, 422), response.text
    if response.status_code != 422:
        assert response.json()["error"]["code"] == error


def test_only_the_operator_creates_tenants(client: TestClient, demo: Tenant) -> None:
    headers = _login(client, DEMO_TENANT_CODE, "admin", DEMO_PASSWORD)
    response = client.post(
        "/api/v1/tenants",
        json={"code": NEW_CODE, "name": "見本市", "admin_username": "a",
              "admin_password": NEW_PASSWORD},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 403


def test_a_disabled_account_cannot_act_with_a_session_opened_before(
    client: TestClient, db: Session, demo: Tenant
) -> None:
    admin = _login(client, DEMO_TENANT_CODE, "admin", DEMO_PASSWORD)
    added = client.post(
        "/api/v1/staff",
        json={"username": "clerk2", "role": "clerk", "password": NEW_PASSWORD},
        headers=admin,
    )
    assert added.status_code == 201, added.text
    admin_cookies = dict(client.cookies)

    client.cookies.clear()
    clerk = _login(client, DEMO_TENANT_CODE, "clerk2", NEW_PASSWORD)
    clerk_cookies = dict(client.cookies)
    assert client.get("/api/v1/auth/me").status_code == 200

    client.cookies.clear()
    client.cookies.update(admin_cookies)
    disabled = client.post(f"/api/v1/staff/{added.json()['id']}/disable", headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["sessions_ended"] == 1

    client.cookies.clear()
    client.cookies.update(clerk_cookies)
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/visits", headers=clerk).status_code == 401
    refused = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk2", "password": NEW_PASSWORD},
    )
    assert refused.status_code == 401


def test_admin_cannot_grant_operator_or_disable_themselves(
    client: TestClient, db: Session, demo: Tenant
) -> None:
    admin = _login(client, DEMO_TENANT_CODE, "admin", DEMO_PASSWORD)
    operator = client.post(
        "/api/v1/staff",
        json={"username": "op2", "role": "operator", "password": NEW_PASSWORD},
        headers=admin,
    )
    assert operator.status_code == 422
    me = db.scalars(select(StaffAccount).where(StaffAccount.username == "admin")).one()
    assert client.post(f"/api/v1/staff/{me.id}/disable", headers=admin).status_code == 422
    roles = client.get("/api/v1/staff/roles").json()
    assert {r["role"] for r in roles} == {"clerk", "back_office", "tenant_admin", "operator"}
    assert all(r["description"] for r in roles)


def test_short_password_is_refused_with_a_clear_message(client: TestClient, demo: Tenant) -> None:
    admin = _login(client, DEMO_TENANT_CODE, "admin", DEMO_PASSWORD)
    response = client.post(
        "/api/v1/staff",
        json={"username": "clerk3", "role": "clerk", "password": "short"},
        headers=admin,
    )
    assert response.status_code == 422
    assert "12" in response.json()["error"]["message"]


# --- the commands -------------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database of its own, which the commands use."""
    with commands_database(tmp_path, monkeypatch) as engine:
        yield str(engine.url)


def _invoke(args: list[str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    from backend.cli import build_app

    return CliRunner().invoke(build_app(), args, input=stdin)


def test_tenant_and_staff_commands(cli_database: str) -> None:
    created = _invoke(
        ["tenant", "create", "--code", NEW_CODE, "--name", "見本市", "--admin", "admin1",
         "--password-stdin"],
        NEW_PASSWORD + "\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    tenant_id = created.stdout.strip()
    assert len(tenant_id) == 32

    for code in ("012026", NEW_CODE, "abc"):
        refused = _invoke(
            ["tenant", "create", "--code", code, "--name", "X", "--admin", "a", "--password-stdin"],
            NEW_PASSWORD + "\n",
        )
        assert refused.exit_code == 2, (code, refused.output)
        assert len(refused.stderr.strip().splitlines()) == 1

    listed = _invoke(["tenant", "list", "--json"])
    assert listed.exit_code == 0
    assert '"code": "012025"' in listed.stdout and tenant_id in listed.stdout

    added = _invoke(
        ["staff", "add", "--tenant", NEW_CODE, "--username", "c1", "--role", "clerk",
         "--password-stdin"],
        NEW_PASSWORD + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert _invoke(["staff", "disable", "--tenant", NEW_CODE, "--username", "c1"]).exit_code == 0
    missing = _invoke(["staff", "disable", "--tenant", NEW_CODE, "--username", "nobody"])
    assert missing.exit_code == 2 and "nobody" in missing.stderr
    reset = _invoke(
        ["staff", "reset-password", "--tenant", NEW_CODE, "--username", "c1", "--password-stdin"],
        "another-synthetic-9\n",
    )
    assert reset.exit_code == 0, reset.output
    listed_staff = _invoke(["staff", "list", "--tenant", NEW_CODE, "--json"])
    assert '"active": false' in listed_staff.stdout


def test_sessions_end_when_the_password_is_reset(db: Session, demo: Tenant) -> None:
    from backend.identity.staff import service

    staff = db.scalars(select(StaffAccount).where(StaffAccount.username == "clerk")).one()
    db.add(StaffSession(tenant_id=demo.id, staff_id=staff.id, token_hash="a" * 64, csrf_token="c"))
    db.flush()
    ended = service.reset_password(
        db, staff, "a-new-synthetic-pw", change=service.StaffChange(actor="test")
    )
    assert ended == 1
    open_sessions = db.scalars(
        select(StaffSession).where(
            StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None)
        )
    ).all()
    assert open_sessions == []
