"""``/api/v1/auth/oidc``: log in through the municipality's identity provider; configure it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.identity.auth import oidc, service
from backend.identity.auth.router import client_address, set_session_cookie
from backend.identity.security_models import OidcProvider
from backend.identity.staff.models import Role
from backend.platform.access import Permission, Principal, require
from backend.platform.audit.service import record
from backend.platform.deps import SessionDep
from backend.platform.errors import MadoguchiError, NotFound

router = APIRouter(prefix="/api/v1/auth/oidc", tags=["auth"])

StaffAdmin = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]
_REDIRECT = {"description": "redirect"}
AFTER_LOGIN = "/staff/"


class ProviderSettings(BaseModel):
    issuer: str = Field(min_length=8, max_length=255, pattern=r"^https?://")
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str | None = Field(
        default=None, max_length=1024, description="write-only; omitted keeps the current one"
    )
    scopes: str = Field(default="openid profile", max_length=255)
    role_claim: str = Field(default="groups", min_length=1, max_length=64)
    role_map: dict[str, Role] = Field(default_factory=dict, description="claim value → role")
    enabled: bool = True


class ProviderRead(BaseModel):
    issuer: str
    client_id: str
    has_client_secret: bool
    scopes: str
    role_claim: str
    role_map: dict[str, str]
    enabled: bool


def _read(provider: OidcProvider) -> ProviderRead:
    return ProviderRead(
        issuer=provider.issuer,
        client_id=provider.client_id,
        has_client_secret=provider.client_secret is not None,
        scopes=provider.scopes,
        role_claim=provider.role_claim,
        role_map=dict(provider.role_map),
        enabled=provider.enabled,
    )


@router.get("/provider", response_model=ProviderRead)
def get_provider(principal: StaffAdmin, session: SessionDep) -> ProviderRead:
    provider = session.scalars(select(OidcProvider)).first()
    if provider is None:
        raise NotFound("外部認証は設定されていません。", code="oidc_not_configured")
    return _read(provider)


@router.put("/provider", response_model=ProviderRead)
def put_provider(
    body: ProviderSettings, principal: StaffAdmin, session: SessionDep
) -> ProviderRead:
    provider = session.scalars(select(OidcProvider)).first()
    if provider is None:
        provider = OidcProvider(tenant_id=principal.tenant_id, issuer=body.issuer, client_id="")
        session.add(provider)
    provider.issuer, provider.client_id = body.issuer, body.client_id
    provider.scopes, provider.role_claim = body.scopes, body.role_claim
    provider.role_map = {claim: role.value for claim, role in body.role_map.items()}
    provider.enabled = body.enabled
    if body.client_secret is not None:
        provider.client_secret = oidc.seal_client_secret(principal.tenant_id, body.client_secret)
    session.flush()
    oidc.cache.clear()
    record(
        session,
        tenant_id=principal.tenant_id,
        action="config.oidc_provider_changed",
        actor=principal.actor,
        detail={"issuer": body.issuer, "client_id": body.client_id, "enabled": body.enabled},
    )
    return _read(provider)


@router.get("/callback", response_model=None, status_code=303, responses={
    303: _REDIRECT, 401: {"description": "refused"}, 403: {"description": "no role"}})  # fmt: skip
def oidc_callback(
    request: Request,
    session: SessionDep,
    state: Annotated[str, Query(max_length=256)],
    code: Annotated[str, Query(max_length=4096)],
) -> RedirectResponse | JSONResponse:
    try:
        staff = oidc.complete_login(session, state, code, client_address(request))
    except MadoguchiError as error:
        # Answered, not raised: the spent state and the audit event must be committed.
        return JSONResponse(status_code=error.status_code, content=error.to_body())
    token, _row = service.open_session(session, staff)
    response = RedirectResponse(AFTER_LOGIN, status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.get("/{tenant_code}/login", response_model=None, status_code=307,
            responses={307: _REDIRECT, 404: {"description": "not configured"}})  # fmt: skip
def oidc_login(
    tenant_code: Annotated[str, Path(pattern=r"^\d{6}$")], request: Request, session: SessionDep
) -> RedirectResponse:
    redirect_uri = str(request.url_for("oidc_callback"))
    return RedirectResponse(oidc.begin_login(session, tenant_code, redirect_uri), status_code=307)
