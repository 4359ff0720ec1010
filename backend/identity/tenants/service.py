"""Tenants: look-ups other packages need, and creating a municipality (CLI and operator API)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.codes import is_valid_local_government_code
from backend.identity.tenants.models import Office, Tenant
from backend.platform.audit.service import record
from backend.platform.db import set_session_tenant
from backend.platform.errors import Conflict, NotFound, ValidationFailed


def tenant_code(session: Session, tenant_id: str) -> str | None:
    """The tenant's 団体コード, None when there is no such tenant."""
    tenant = session.get(Tenant, tenant_id)
    return tenant.code if tenant else None


def validate_code(code: str) -> str:
    """A 団体コード with its check digit, or a clear error."""
    if not is_valid_local_government_code(code):
        raise ValidationFailed(
            f"団体コード {code!r} が正しくありません（6桁、末尾は検査数字） "
            "(invalid local government code: 6 digits with a check digit)."
        )
    return code


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.code)))


def find_tenant(session: Session, code: str) -> Tenant:
    tenant = session.scalars(select(Tenant).where(Tenant.code == code)).one_or_none()
    if tenant is None:
        raise NotFound(f"団体コード {code} の自治体がありません (no such tenant).")
    return tenant


def enter_tenant(session: Session, tenant: Tenant) -> None:
    """From here the unit of work reads and writes as ``tenant`` (scoped, as in a request)."""
    session.info["unscoped"] = False
    set_session_tenant(session, tenant.id)


def create_tenant(session: Session, *, code: str, name: str, actor: str) -> Tenant:
    """A new municipality with its main office (本庁舎).

    It starts on the sample catalog and the default form layouts (both apply to a tenant that
    has none of its own) and an empty 町字 list; an admin account is added by the caller.
    """
    validate_code(code)
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed("自治体名を 100 文字以内で入力してください (name: 1–100 chars).")
    if session.scalars(select(Tenant.id).where(Tenant.code == code)).first() is not None:
        raise Conflict(f"団体コード {code} の自治体はすでにあります (already exists).")
    tenant = Tenant(code=code, name=name)
    session.add(tenant)
    session.flush()
    # From here the unit of work writes the new tenant's rows (office, admin, audit), so the
    # session is scoped to it: an operator's request is otherwise scoped to their own tenant.
    set_session_tenant(session, tenant.id)
    session.add(Office(tenant_id=tenant.id, code="main", name="本庁舎"))
    session.flush()
    record(
        session,
        tenant_id=tenant.id,
        action="tenant.created",
        actor=actor,
        detail={"code": code, "name": name},
    )
    return tenant


def set_follow_shows_outcome(session: Session, *, code: str, shown: bool, actor: str) -> Tenant:
    """Whether the resident's follow page shows the back office's 処理中／完了 (default off)."""
    tenant = find_tenant(session, code)
    tenant.follow_shows_outcome = shown
    session.flush()
    record(
        session,
        tenant_id=tenant.id,
        action="tenant.follow_shows_outcome",
        actor=actor,
        detail={"shown": shown},
    )
    return tenant
