"""Request dependencies, as ``Annotated`` aliases used by every router.

One request, one transaction: ``get_session`` commits once after the route returns, or rolls
back on any error. Services only ``flush()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device
from backend.identity.staff.models import StaffAccount, StaffSession
from backend.platform.db import session_scope, utcnow
from backend.platform.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "madoguchi_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDLE_TIMEOUT = dt.timedelta(minutes=30)


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    # Every authenticated request writes (last_seen_at), so it is a writing unit of work.
    # The tenant is set once the caller is authenticated.
    with session_scope(write=True) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is an
# error response, never a 200 for data that was not saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class StaffPrincipal:
    staff: StaffAccount
    session_id: str

    @property
    def tenant_id(self) -> str:
        return self.staff.tenant_id

    @property
    def role(self) -> str:
        return self.staff.role


def current_staff(request: Request, session: SessionDep) -> StaffPrincipal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated()
    # Looking up the session itself crosses tenants by design: the token decides the tenant.
    row = session.scalars(
        select(StaffSession)
        .where(StaffSession.token_hash == hash_token(token), StaffSession.ended_at.is_(None))
        .execution_options(unscoped=True)
    ).one_or_none()
    now = utcnow()
    if row is None or now - row.last_seen_at > IDLE_TIMEOUT:
        raise NotAuthenticated("ログインの有効期限が切れました。もう一度ログインしてください。")
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != row.csrf_token:
        raise Forbidden("画面を再読み込みしてから操作してください (CSRF)。", code="csrf_failed")
    staff = session.scalars(
        select(StaffAccount).where(StaffAccount.id == row.staff_id).execution_options(unscoped=True)
    ).one()
    if not staff.active:
        raise NotAuthenticated()
    row.last_seen_at = now
    session.info["tenant_id"] = staff.tenant_id
    return StaffPrincipal(staff=staff, session_id=row.id)


CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]


def current_device(request: Request, session: SessionDep) -> Device:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("端末の認証情報がありません。端末を登録し直してください。")
    device = session.scalars(
        select(Device)
        .where(Device.token_hash == hash_token(token), Device.revoked_at.is_(None))
        .execution_options(unscoped=True)
    ).one_or_none()
    if device is None:
        raise NotAuthenticated("この端末は登録されていないか、無効にされています。")
    device.last_seen_at = utcnow()
    session.info["tenant_id"] = device.tenant_id
    return device


CurrentDevice = Annotated[Device, Depends(current_device)]
