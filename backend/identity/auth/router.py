"""``/api/v1/auth``: staff login, logout, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.identity import throttle
from backend.identity.auth import service
from backend.identity.auth.deps import IDLE_TIMEOUT, SESSION_COOKIE, CurrentStaff
from backend.identity.auth.schemas import LoginRequest, LoginResponse, StaffRead
from backend.identity.staff.models import StaffAccount
from backend.identity.tenants.models import Tenant
from backend.identity.throttle import LoginThrottled, login_throttle
from backend.platform.deps import SessionDep
from backend.platform.errors import MadoguchiError

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


def client_address(request: Request) -> str:
    """The client's address; behind ``MADOGUCHI_TRUSTED_PROXIES`` only (throttle.client_address)."""
    return throttle.client_address(request)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(IDLE_TIMEOUT.total_seconds()) * 16,
        path="/",
    )


_ERROR_SCHEMA = {
    "content": {"application/json": {"schema": {"type": "object", "required": ["error"]}}}
}


@router.post(
    "/login",
    response_model=LoginResponse,
    responses={401: _ERROR_SCHEMA, 429: _ERROR_SCHEMA},
)
def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep
) -> LoginResponse:
    address = client_address(request)
    try:
        login_throttle.check(session, address, body.tenant_code, body.username)
        staff, tenant = service.authenticate(
            session, body.tenant_code, body.username, body.password, address
        )
    except MadoguchiError as error:
        if not isinstance(error, LoginThrottled):
            login_throttle.failed(session, address, body.tenant_code, body.username)
        # The failure count, the lockout and the audit event survive the rollback (uow.keep).
        raise
    login_throttle.succeeded(session, body.tenant_code, body.username)
    token, row = service.open_session(session, staff)
    set_session_cookie(request, response, token)
    return LoginResponse(staff=_staff_read(staff, tenant), csrf_token=row.csrf_token)


@router.post("/logout", status_code=204)
def logout(principal: CurrentStaff, response: Response, session: SessionDep) -> Response:
    service.end_session(session, principal.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=LoginResponse)
def me(principal: CurrentStaff, session: SessionDep) -> LoginResponse:
    staff, tenant, row = service.signed_in(session, principal.staff, principal.session_id)
    return LoginResponse(staff=_staff_read(staff, tenant), csrf_token=row.csrf_token)
