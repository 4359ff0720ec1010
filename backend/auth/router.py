"""``/api/v1/auth``: staff login, logout, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.auth import service
from backend.auth.schemas import LoginRequest, LoginResponse, StaffRead
from backend.deps import IDLE_TIMEOUT, SESSION_COOKIE, CurrentStaff, SessionDep
from backend.staff.models import StaffAccount
from backend.tenants.models import Tenant

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _staff_read(staff: StaffAccount, tenant: Tenant) -> StaffRead:
    return StaffRead(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        tenant_id=tenant.id,
        tenant_code=tenant.code,
        tenant_name=tenant.name,
    )


@router.post("/login", response_model=LoginResponse)
def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep
) -> LoginResponse:
    staff, tenant = service.authenticate(session, body.tenant_code, body.username, body.password)
    token, row = service.open_session(session, staff)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(IDLE_TIMEOUT.total_seconds()) * 16,
        path="/",
    )
    return LoginResponse(staff=_staff_read(staff, tenant), csrf_token=row.csrf_token)


@router.post("/logout", status_code=204)
def logout(principal: CurrentStaff, response: Response, session: SessionDep) -> Response:
    service.end_session(session, principal.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=LoginResponse)
def me(principal: CurrentStaff, session: SessionDep) -> LoginResponse:
    from backend.staff.models import StaffSession

    tenant = session.get(Tenant, principal.tenant_id)
    assert tenant is not None
    row = session.get(StaffSession, principal.session_id)
    assert row is not None
    return LoginResponse(staff=_staff_read(principal.staff, tenant), csrf_token=row.csrf_token)
