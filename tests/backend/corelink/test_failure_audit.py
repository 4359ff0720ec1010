"""Every attempt is audited, also when the request fails and its transaction rolls back.

These tests use the real ``get_session`` dependency (one committed transaction per request),
not the ``client`` fixture, whose session is never rolled back and so cannot show the bug of a
failure audit discarded with the rollback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from backend.corelink.service import get_core_system
from backend.identity.staff.models import StaffAccount
from backend.identity.tenants.models import Tenant
from backend.platform import db as db_module
from backend.platform import migrate, uow
from backend.platform.audit import service as audit
from backend.platform.audit.models import AuditEvent
from backend.platform.db import session_scope
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from integrations.core import CoreResident, CoreUnavailable, MovingOutCertificate, ResidentQuery
from tests.conftest import _backends, scratch_postgres_url


@dataclass
class Committed:
    engine: Engine
    tenant_id: str


@pytest.fixture(params=_backends())
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Committed]:
    """A fresh migrated database that requests really commit to (and roll back in)."""
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'audit.db'}"
        else:
            url = cleanup.enter_context(scratch_postgres_url("madoguchi_audit"))
        engine = db_module.make_engine(url)
        migrate.upgrade(engine)
        previous = db_module._engine
        db_module.reset_engine(engine)
        with session_scope(unscoped=True, write=True) as session:
            tenant_id = seed_demo(session).id
        yield Committed(engine, tenant_id)
        db_module.reset_engine(previous)
        engine.dispose()


class DownCore:
    """A core system that is not answering."""

    def lookup(self, query: ResidentQuery) -> list[CoreResident]:
        raise CoreUnavailable()

    def moving_out_certificate(self, resident_code: str) -> MovingOutCertificate:
        raise CoreUnavailable()


@pytest.fixture
def real_client(committed: Committed) -> Iterator[TestClient]:
    """The app as deployed: no session override; only the core system is replaced."""
    from backend.app import create_app

    app = create_app()
    app.dependency_overrides[get_core_system] = DownCore
    with TestClient(app) as client:
        yield client


def _actions(tenant_id: str) -> list[str]:
    with session_scope(unscoped=True) as session:
        return [event.action for event in audit.events(session, tenant_id)]


def _login(client: TestClient, password: str = DEMO_PASSWORD) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": password},
    )


def test_a_failed_core_lookup_leaves_its_audit_row(
    committed: Committed, real_client: TestClient
) -> None:
    login = _login(real_client)
    assert login.status_code == 200, login.text
    headers = {"x-csrf-token": login.json()["csrf_token"]}
    response = real_client.get("/api/v1/core/lookup", params={"resident_code": "99100700011"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "core_unavailable"
    certificate = real_client.post(
        "/api/v1/core/moving-out-certificate",
        json={"resident_code": "99100800055"},
        headers=headers,
    )
    assert certificate.status_code == 503
    actions = _actions(committed.tenant_id)
    assert actions.count("core.lookup") == 1
    assert actions.count("core.moving_out_certificate") == 1
    with session_scope(unscoped=True) as session:
        lookup = session.scalars(select(AuditEvent).where(AuditEvent.action == "core.lookup")).one()
        assert lookup.detail == {"by": "resident_code"} and lookup.actor is not None
        checked, broken = audit.verify_chain(audit.events(session, committed.tenant_id))
    assert broken is None and checked == len(actions)


def test_failed_logins_count_lock_out_and_are_audited_through_the_real_session(
    committed: Committed, real_client: TestClient
) -> None:
    from backend.identity.auth.service import MAX_FAILED_LOGINS

    wrong = _login(real_client, password="not-the-password")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "login_failed"
    with session_scope(unscoped=True) as session:
        staff = session.scalars(select(StaffAccount).where(StaffAccount.username == "clerk")).one()
        assert staff.failed_logins == 1
    for _ in range(MAX_FAILED_LOGINS - 1):
        _login(real_client, password="not-the-password")
    locked = _login(real_client)  # the right password, but locked out now
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    actions = _actions(committed.tenant_id)
    assert actions.count("auth.login_failed") == MAX_FAILED_LOGINS
    assert actions.count("auth.lockout") == 1 and actions.count("auth.login_locked") == 1
    assert "auth.login" not in actions


def test_an_audited_attempt_survives_an_unexpected_error(committed: Committed) -> None:
    with pytest.raises(RuntimeError), session_scope(write=True) as session:
        session.info["tenant_id"] = committed.tenant_id
        with uow.audit_attempt(session, tenant_id=committed.tenant_id, action="core.lookup"):
            raise RuntimeError("a bug in the adapter")
    assert _actions(committed.tenant_id) == ["core.lookup"]


def test_an_audited_attempt_survives_a_failed_commit(committed: Committed) -> None:
    with pytest.raises(IntegrityError), session_scope(write=True) as session:
        with uow.audit_attempt(session, tenant_id=committed.tenant_id, action="core.lookup"):
            pass  # the call succeeded…
        # …but the commit fails (the tenant code is unique).
        session.add(Tenant(code=DEMO_TENANT_CODE, name="重複"))
    assert _actions(committed.tenant_id) == ["core.lookup"]


def test_a_successful_attempt_is_audited_once(committed: Committed) -> None:
    with (
        session_scope(write=True) as session,
        uow.audit_attempt(session, tenant_id=committed.tenant_id, action="core.lookup"),
    ):
        pass
    assert _actions(committed.tenant_id) == ["core.lookup"]


def test_an_attempt_whose_error_is_handled_is_audited_once(committed: Committed) -> None:
    with (
        session_scope(write=True) as session,
        pytest.raises(CoreUnavailable),
        uow.audit_attempt(session, tenant_id=committed.tenant_id, action="core.lookup"),
    ):
        raise CoreUnavailable()
    assert _actions(committed.tenant_id) == ["core.lookup"]
