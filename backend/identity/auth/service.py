"""Staff login with throttling and temporary lockout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.identity.auth.passwords import verify_password
from backend.identity.auth.tokens import hash_token, new_token
from backend.identity.staff.models import StaffAccount, StaffSession
from backend.identity.tenants.models import Tenant
from backend.platform import uow
from backend.platform.audit.service import record
from backend.platform.db import utcnow
from backend.platform.errors import Forbidden, MadoguchiError, NotAuthenticated

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
IDLE_TIMEOUT = dt.timedelta(minutes=30)
LAST_SEEN_STEP = dt.timedelta(seconds=60)
"""A session's ``last_seen_at`` is written only once it is this much older than the request:
a read then writes nothing. The idle timer may so start up to a minute early, never late."""


class AccountLocked(MadoguchiError):
    status_code = 429
    code = "account_locked"
    default_message = (
        "ログインに続けて失敗したため、しばらくロックされています。15分後にお試しください。"
    )


def authenticate(
    session: Session, tenant_code: str, username: str, password: str, address: str = ""
) -> tuple[StaffAccount, Tenant]:
    """Check a password; every outcome is an audit event of the tenant (when it exists).

    Failures raise like any other error; the failure count, the lockout and the audit event
    are kept through the request's rollback (``uow.keep``), because they are the point.
    """
    tenant = session.scalars(select(Tenant).where(Tenant.code == tenant_code)).one_or_none()
    staff = None
    if tenant is not None:
        staff = session.scalars(
            select(StaffAccount)
            .where(StaffAccount.tenant_id == tenant.id, StaffAccount.username == username)
            .execution_options(unscoped=True)
        ).one_or_none()
    now = utcnow()
    detail = {"username": username, "address": address}
    if staff is not None and staff.locked_until is not None and staff.locked_until > now:
        tenant_id = staff.tenant_id
        uow.keep(
            session,
            lambda s: record(s, tenant_id=tenant_id, action="auth.login_locked", detail=detail),
        )
        raise AccountLocked()
    # No account or no password: verified against a dummy hash, so timing stays uniform.
    password_ok = verify_password(staff.password_hash if staff else None, password)
    if staff is None or tenant is None or not staff.active or not password_ok:
        uow.keep(
            session,
            _failed_login(tenant.id if tenant else None, staff.id if staff else None, detail, now),
        )
        raise NotAuthenticated(
            "自治体コード、ユーザー名またはパスワードが違います。", code="login_failed"
        )
    staff.failed_logins = 0
    staff.locked_until = None
    record(
        session,
        tenant_id=tenant.id,
        action="auth.login",
        actor=f"staff:{staff.id}",
        detail={"method": "password", "address": address},
    )
    return staff, tenant


def _failed_login(
    tenant_id: str | None, staff_id: str | None, detail: dict[str, str], now: dt.datetime
) -> uow.Write:
    """The write a failed login leaves: its audit event, the count, and maybe the lockout."""

    def write(session: Session) -> None:
        if tenant_id is not None:
            record(session, tenant_id=tenant_id, action="auth.login_failed", detail=detail)
        if staff_id is None:
            return
        staff = session.get(StaffAccount, staff_id, execution_options={"unscoped": True})
        if staff is None:
            return
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILED_LOGINS:
            staff.locked_until = now + LOCKOUT
            staff.failed_logins = 0
            record(
                session,
                tenant_id=staff.tenant_id,
                action="auth.lockout",
                actor=f"staff:{staff.id}",
                detail={**detail, "until": staff.locked_until.isoformat()},
            )
        session.flush()

    return write


def open_session(session: Session, staff: StaffAccount) -> tuple[str, StaffSession]:
    token = new_token()
    row = StaffSession(
        tenant_id=staff.tenant_id,
        staff_id=staff.id,
        token_hash=hash_token(token),
        csrf_token=new_token(),
    )
    session.add(row)
    session.flush()
    return token, row


def end_session(session: Session, session_id: str) -> None:
    row = session.get(StaffSession, session_id)
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        record(
            session, tenant_id=row.tenant_id, action="auth.logout", actor=f"staff:{row.staff_id}"
        )


@dataclass(frozen=True)
class Resumed:
    """A staff session a cookie resumed: who, of which tenant, in which login session."""

    session_id: str
    staff_id: str
    tenant_id: str
    role: str
    username: str
    display_name: str


@dataclass(frozen=True)
class LiveSession:
    """What ``resume`` read of a session, for the credential cache (``auth.cache``) to check
    later requests against: immutable, no ORM object."""

    resumed: Resumed
    csrf_token: str
    last_seen_at: dt.datetime  # as the database has it after this request


def resume(session: Session, token: str, *, csrf_token: str | None, safe_method: bool) -> Resumed:
    """The staff session of a cookie's token, its idle timer restarted (written at most once a
    ``LAST_SEEN_STEP``), in ONE statement: the session and its account's columns joined
    (every staff request starts here; two entity loads cost twice the statements and more).

    Writing requests (not ``safe_method``) must echo the session's CSRF token.
    """
    return resume_live(session, token, csrf_token=csrf_token, safe_method=safe_method).resumed


def resume_live(
    session: Session, token: str, *, csrf_token: str | None, safe_method: bool
) -> LiveSession:
    """``resume``, with what the credential cache keeps of the session."""
    # Looking up the session itself crosses tenants by design: the token decides the tenant.
    row = session.execute(
        select(
            StaffSession.id,
            StaffSession.csrf_token,
            StaffSession.last_seen_at,
            StaffAccount.id,
            StaffAccount.tenant_id,
            StaffAccount.role,
            StaffAccount.username,
            StaffAccount.display_name,
            StaffAccount.active,
        )
        .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == hash_token(token), StaffSession.ended_at.is_(None))
        .execution_options(unscoped=True)
    ).one_or_none()
    now = utcnow()
    if row is None or now - row[2] > IDLE_TIMEOUT:
        raise NotAuthenticated("ログインの有効期限が切れました。もう一度ログインしてください。")
    session_id, csrf, last_seen, staff_id, tenant_id, role, username, display_name, active = row
    check_csrf(csrf, csrf_token=csrf_token, safe_method=safe_method)
    if not active:
        raise NotAuthenticated()
    if now - last_seen >= LAST_SEEN_STEP:
        # An ORM UPDATE: a StaffSession already in this session sees the new time too.
        session.execute(
            update(StaffSession)
            .where(StaffSession.id == session_id)
            .values(last_seen_at=now)
            .execution_options(unscoped=True)
        )
        last_seen = now
    resumed = Resumed(session_id, staff_id, tenant_id, role, username, display_name)
    return LiveSession(resumed, csrf, last_seen)


def check_csrf(expected: str, *, csrf_token: str | None, safe_method: bool) -> None:
    """Writing requests (not ``safe_method``) must echo the session's CSRF token."""
    if not safe_method and csrf_token != expected:
        raise Forbidden("画面を再読み込みしてから操作してください (CSRF)。", code="csrf_failed")


def resume_session(
    session: Session, token: str, *, csrf_token: str | None, safe_method: bool
) -> tuple[StaffAccount, StaffSession]:
    """The staff member and session rows of a cookie's token (``resume``), for the routes
    that work on them (log out, who am I)."""
    resumed = resume(session, token, csrf_token=csrf_token, safe_method=safe_method)
    unscoped = {"unscoped": True}  # the session's tenant is set by the caller, after this
    row = session.get(StaffSession, resumed.session_id, execution_options=unscoped)
    staff = session.get(StaffAccount, resumed.staff_id, execution_options=unscoped)
    assert row is not None and staff is not None
    return staff, row


def signed_in(
    session: Session, staff: StaffAccount, session_id: str
) -> tuple[StaffAccount, Tenant, StaffSession]:
    """Who is signed in on this session, of which tenant (``GET /api/v1/auth/me``)."""
    tenant = session.get(Tenant, staff.tenant_id)
    row = session.get(StaffSession, session_id)
    assert tenant is not None and row is not None
    return staff, tenant, row
