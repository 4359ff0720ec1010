"""A hot route states its permission once, ``@hot_route(...)``: ``run_authorized`` enforces that
declaration (read from the matched endpoint), so the access matrix documents what is enforced."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from security_world import login
from sqlalchemy.orm import Session

from backend.platform.access import Permission, Principal, hot_route, run_authorized
from backend.platform.access_matrix import route_permissions
from backend.seed import seed_demo


def _actor(_session: Session, principal: Principal) -> dict[str, str]:
    return {"actor": principal.actor}


def test_the_permission_enforced_is_the_declared_one(client: TestClient, db: Session) -> None:
    seed_demo(db)
    # In an included router, as every hot route of the app is (FastAPI's ``_IncludedRouter``).
    router = APIRouter(prefix="/api/v1/test-only")

    @router.get("/audit-readers")
    @hot_route(Permission.AUDIT_READ)
    async def audit_readers(request: Request) -> dict[str, str]:
        return await run_authorized(request, _actor)

    @router.get("/visit-readers")
    @hot_route(Permission.VISIT_READ)
    async def visit_readers(request: Request) -> dict[str, str]:
        return await run_authorized(request, _actor)

    app: FastAPI = client.app  # type: ignore[assignment]
    app.include_router(router)
    # Before the static mount at "/", which would otherwise answer first.
    app.router.routes.insert(0, app.router.routes.pop())
    clerk, admin = login(client, "clerk"), login(client, "admin")
    audit, visits = "/api/v1/test-only/audit-readers", "/api/v1/test-only/visit-readers"

    assert route_permissions(app)[("GET", audit)] is Permission.AUDIT_READ  # what the matrix says
    assert client.get(audit, headers=clerk).status_code == 403  # is what is enforced
    assert client.get(audit, headers=admin).status_code == 200
    assert client.get(visits, headers=clerk).status_code == 200
    assert client.get(visits).status_code == 401


def test_a_route_without_a_declared_permission_is_an_error_never_run() -> None:
    ran: list[str] = []
    app = FastAPI()

    @app.get("/undeclared")
    async def undeclared(request: Request) -> None:
        await run_authorized(request, lambda _session, principal: ran.append(principal.actor))

    with (
        TestClient(app) as client,
        pytest.raises(RuntimeError, match=r"\.undeclared calls run_authorized without declaring"),
    ):
        client.get("/undeclared")
    assert ran == []
