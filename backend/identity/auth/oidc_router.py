"""``/api/v1/auth/oidc``: log in through the municipality's identity provider; configure it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from backend.identity.auth import oidc
from backend.identity.auth.router import client_address, set_session_cookie
from backend.identity.auth.schemas import ProviderRead, ProviderSettings
from backend.identity.security_models import OidcProvider
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.platform.errors import MadoguchiError

router = APIRouter(prefix="/api/v1/auth/oidc", tags=["auth"])

StaffAdmin = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]
_REDIRECT = {"description": "redirect"}
AFTER_LOGIN = "/staff/"


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
    return _read(oidc.get_provider(session))


@router.put("/provider", response_model=ProviderRead)
def put_provider(
    body: ProviderSettings, principal: StaffAdmin, session: SessionDep
) -> ProviderRead:
    provider = oidc.save_provider(
        session, body, tenant_id=principal.tenant_id, actor=principal.actor
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
        token = oidc.sign_in(session, state, code, client_address(request))
    except MadoguchiError as error:
        # Answered, not raised: the spent state and the audit event must be committed.
        return JSONResponse(status_code=error.status_code, content=error.to_body())
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
