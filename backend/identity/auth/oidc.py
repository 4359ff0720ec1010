"""OpenID Connect login against a municipality's identity provider.

Authorization code flow with PKCE (S256), state and nonce, one provider per tenant
(``OidcProvider``). Endpoints come from the issuer's discovery metadata; ID tokens are verified
with joserfc against the provider's JWKS (signature with the keys it publishes, ``iss``, ``aud``,
``exp``/``iat``, ``nonce``, ``azp``). A claim (``role_claim``, e.g. ``groups``) is mapped to a
role through ``role_map``; a person whose claim maps to no role is refused.

HTTP to the provider is plain httpx with short timeouts: the flow is a handful of requests and
joserfc does the part that is easy to get wrong (JOSE), without pulling in a web framework
integration.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth.schemas import ProviderSettings
from backend.identity.auth.service import open_session
from backend.identity.auth.tokens import hash_token
from backend.identity.security_models import OidcLogin, OidcProvider
from backend.identity.staff.models import Role, StaffAccount
from backend.identity.tenants.models import Tenant
from backend.platform.audit.service import record
from backend.platform.crypto import get_keyring
from backend.platform.db import utcnow
from backend.platform.errors import MadoguchiError, NotAuthenticated, NotFound, ServiceUnavailable

LOGIN_TTL = dt.timedelta(minutes=10)
METADATA_TTL_SECONDS = 3600.0
HTTP_TIMEOUT = httpx.Timeout(10.0)
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
_SECRET_CONTEXT = b"madoguchi/oidc-client-secret/v1"


class OidcFailed(NotAuthenticated):
    code = "oidc_failed"
    default_message = (
        "外部認証（OpenID Connect）でログインできませんでした。もう一度お試しください。"
    )


class OidcNoRole(MadoguchiError):
    status_code = 403
    code = "oidc_no_role"
    default_message = (
        "この職員には madoguchi の役割が割り当てられていません。管理者に連絡してください。"
    )


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class _MetadataCache:
    """Discovery documents and key sets, refreshed hourly or on an unknown key id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metadata: dict[str, tuple[float, ProviderMetadata]] = {}
        self._keys: dict[str, tuple[float, KeySet]] = {}

    def metadata(self, issuer: str) -> ProviderMetadata:
        with self._lock:
            cached = self._metadata.get(issuer)
            if cached and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
                return cached[1]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = _get_json(url)
        if document.get("issuer") != issuer:
            raise OidcFailed("IdP の issuer が設定と一致しません。", code="oidc_issuer_mismatch")
        try:
            metadata = ProviderMetadata(
                issuer=issuer,
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
            )
        except KeyError as exc:
            raise OidcFailed("IdP のメタデータが不完全です。", code="oidc_bad_metadata") from exc
        with self._lock:
            self._metadata[issuer] = (time.monotonic(), metadata)
        return metadata

    def keys(self, metadata: ProviderMetadata, *, refresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._keys.get(metadata.jwks_uri)
            if cached and not refresh and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
                return cached[1]
        key_set = KeySet.import_key_set(_get_json(metadata.jwks_uri))  # type: ignore[arg-type]
        with self._lock:
            self._keys[metadata.jwks_uri] = (time.monotonic(), key_set)
        return key_set

    def clear(self) -> None:
        with self._lock:
            self._metadata.clear()
            self._keys.clear()


cache = _MetadataCache()


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceUnavailable(
            "外部認証サーバーに接続できません。", code="oidc_unreachable"
        ) from exc
    if not isinstance(data, dict):
        raise OidcFailed("IdP の応答が JSON オブジェクトではありません。", code="oidc_bad_metadata")
    return data


def seal_client_secret(tenant_id: str, secret: str) -> str:
    return get_keyring().encrypt(secret, context=_SECRET_CONTEXT + tenant_id.encode())


def _client_secret(provider: OidcProvider) -> str | None:
    if provider.client_secret is None:
        return None
    context = _SECRET_CONTEXT + provider.tenant_id.encode()
    return get_keyring().decrypt(provider.client_secret, context=context)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def get_provider(session: Session) -> OidcProvider:
    """The caller's provider settings (the session is scoped to the caller's tenant)."""
    provider = session.scalars(select(OidcProvider)).first()
    if provider is None:
        raise NotFound("外部認証は設定されていません。", code="oidc_not_configured")
    return provider


def save_provider(
    session: Session, settings: ProviderSettings, *, tenant_id: str, actor: str
) -> OidcProvider:
    """Create or change the tenant's provider; an omitted client secret keeps the current one."""
    provider = session.scalars(select(OidcProvider)).first()
    if provider is None:
        provider = OidcProvider(tenant_id=tenant_id, issuer=settings.issuer, client_id="")
        session.add(provider)
    provider.issuer, provider.client_id = settings.issuer, settings.client_id
    provider.scopes, provider.role_claim = settings.scopes, settings.role_claim
    provider.role_map = {claim: role.value for claim, role in settings.role_map.items()}
    provider.enabled = settings.enabled
    if settings.client_secret is not None:
        provider.client_secret = seal_client_secret(tenant_id, settings.client_secret)
    session.flush()
    cache.clear()
    record(
        session,
        tenant_id=tenant_id,
        action="config.oidc_provider_changed",
        actor=actor,
        detail={"issuer": settings.issuer, "client_id": settings.client_id,
                "enabled": settings.enabled},
    )  # fmt: skip
    return provider


def provider_for(session: Session, tenant_code: str) -> tuple[Tenant, OidcProvider]:
    tenant = session.scalars(select(Tenant).where(Tenant.code == tenant_code)).one_or_none()
    provider = None
    if tenant is not None:
        provider = session.scalars(
            select(OidcProvider)
            .where(OidcProvider.tenant_id == tenant.id, OidcProvider.enabled.is_(True))
            .execution_options(unscoped=True)
        ).first()
    if tenant is None or provider is None:
        raise NotFound("この自治体では外部認証が設定されていません。", code="oidc_not_configured")
    return tenant, provider


def begin_login(session: Session, tenant_code: str, redirect_uri: str) -> str:
    """Remember state, nonce and PKCE verifier; return the provider's authorization URL."""
    tenant, provider = provider_for(session, tenant_code)
    metadata = cache.metadata(provider.issuer)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    session.add(
        OidcLogin(
            state_hash=hash_token(state),
            tenant_id=tenant.id,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
        )
    )
    session.flush()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": provider.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{metadata.authorization_endpoint}?{query}"


def _take_login(session: Session, state: str) -> OidcLogin:
    login = session.scalars(
        select(OidcLogin).where(OidcLogin.state_hash == hash_token(state))
    ).one_or_none()
    if login is None:
        raise OidcFailed(
            "ログインの状態が見つかりません（期限切れか使用済み）。", code="oidc_bad_state"
        )
    session.delete(login)  # one use only
    session.flush()
    if utcnow() - login.created_at > LOGIN_TTL:
        raise OidcFailed("ログインの有効期限が切れました。", code="oidc_bad_state")
    return login


def _exchange_code(
    metadata: ProviderMetadata, provider: OidcProvider, login: OidcLogin, code: str
) -> str:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": login.redirect_uri,
        "code_verifier": login.code_verifier,
        "client_id": provider.client_id,
    }
    secret = _client_secret(provider)
    auth = httpx.BasicAuth(provider.client_id, secret) if secret is not None else None
    try:
        response = httpx.post(metadata.token_endpoint, data=form, auth=auth, timeout=HTTP_TIMEOUT)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(
            "外部認証サーバーに接続できません。", code="oidc_unreachable"
        ) from exc
    if response.status_code != 200:
        raise OidcFailed("認可コードを交換できませんでした。", code="oidc_token_refused")
    try:
        id_token = response.json()["id_token"]
    except (ValueError, KeyError, TypeError) as exc:
        raise OidcFailed("ID トークンがありません。", code="oidc_no_id_token") from exc
    return str(id_token)


def verify_id_token(
    id_token: str, metadata: ProviderMetadata, client_id: str, nonce: str
) -> dict[str, Any]:
    def decode(key_set: KeySet) -> jwt.Token:
        return jwt.decode(id_token, key_set, algorithms=list(ID_TOKEN_ALGORITHMS))

    try:
        try:
            token = decode(cache.keys(metadata))
        except (JoseError, ValueError):
            token = decode(cache.keys(metadata, refresh=True))  # the IdP may have rotated keys
        claims = dict(token.claims)
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": metadata.issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise OidcFailed("ID トークンを検証できませんでした。", code="oidc_bad_id_token") from exc
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise OidcFailed("ID トークンの宛先が違います。", code="oidc_bad_id_token")
    return claims


def role_from_claims(provider: OidcProvider, claims: dict[str, Any]) -> Role | None:
    """The highest-privileged role any of the claim's values maps to (admin > back office…)."""
    value = claims.get(provider.role_claim)
    values = value if isinstance(value, list) else [value]
    roles = {
        Role(provider.role_map[v]) for v in values if isinstance(v, str) and v in provider.role_map
    }
    for role in (Role.OPERATOR, Role.TENANT_ADMIN, Role.BACK_OFFICE, Role.CLERK):
        if role in roles:
            return role
    return None


def complete_login(session: Session, state: str, code: str, address: str) -> StaffAccount:
    """Check everything the provider sent; return the (created or updated) staff account."""
    login = _take_login(session, state)
    provider = session.scalars(
        select(OidcProvider)
        .where(OidcProvider.tenant_id == login.tenant_id, OidcProvider.enabled.is_(True))
        .execution_options(unscoped=True)
    ).first()
    if provider is None:
        raise OidcFailed()
    metadata = cache.metadata(provider.issuer)
    claims = verify_id_token(
        _exchange_code(metadata, provider, login, code), metadata, provider.client_id, login.nonce
    )
    subject = f"{provider.issuer}#{claims['sub']}"
    role = role_from_claims(provider, claims)
    detail = {"method": "oidc", "address": address, "subject": str(claims["sub"])}
    if role is None:
        record(session, tenant_id=login.tenant_id, action="auth.login_failed", detail=detail)
        raise OidcNoRole()
    staff = session.scalars(
        select(StaffAccount)
        .where(StaffAccount.tenant_id == login.tenant_id, StaffAccount.oidc_subject == subject)
        .execution_options(unscoped=True)
    ).one_or_none()
    if staff is None:
        staff = StaffAccount(
            tenant_id=login.tenant_id,
            username=f"oidc:{str(claims['sub'])[:56]}",
            display_name=str(claims.get("name") or claims.get("preferred_username") or "")[:100],
            role=role.value,
            oidc_subject=subject,
            active=True,
        )
        session.add(staff)
    if not staff.active:
        record(session, tenant_id=login.tenant_id, action="auth.login_failed", detail=detail)
        raise OidcFailed("この職員アカウントは無効です。", code="staff_inactive")
    staff.role = role.value  # the IdP is the source of truth for roles at every login
    session.flush()
    record(
        session,
        tenant_id=login.tenant_id,
        action="auth.login",
        actor=f"staff:{staff.id}",
        detail={**detail, "role": role.value},
    )
    return staff


def sign_in(session: Session, state: str, code: str, address: str) -> str:
    """Complete the login and open a staff session; returns the session cookie's token."""
    token, _row = open_session(session, complete_login(session, state, code, address))
    return token
