"""Staff accounts managed by a municipality's admin or the operator: add, disable, reset.

Every change is an audit event of the tenant. Disabling an account or resetting its password
ends every session it has open at once (a session opened before cannot act afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.identity.auth import cache as credentials
from backend.identity.auth.passwords import hash_password
from backend.identity.staff.models import Role, StaffAccount, StaffSession
from backend.platform.audit.service import record
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, NotFound, ValidationFailed

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
USERNAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")

# Roles in words a municipality's admin reads (the admin screen shows these).
ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.CLERK: "窓口職員：受付・カード読取・案内・帳票の作成と署名依頼",
    Role.BACK_OFFICE: "バックヤード職員：引き継がれた案件の確認・入力・完了報告",
    Role.TENANT_ADMIN: "自治体管理者：窓口・機器・手続きカタログ・職員アカウントの管理",
    Role.OPERATOR: "運用事業者：自治体の作成と全体の運用（通常は自治体職員には付与しない）",
}


@dataclass(frozen=True)
class StaffChange:
    """Who made a change, for the audit trail."""

    actor: str


def check_password(password: str) -> str:
    """The password itself when it is acceptable; a clear error otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"パスワードは {MIN_PASSWORD_LENGTH} 文字以上にしてください "
            f"(at least {MIN_PASSWORD_LENGTH} characters)."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed("パスワードが長すぎます (too long).")
    if password != password.strip():
        raise ValidationFailed("パスワードの前後に空白は使えません (no leading/trailing spaces).")
    return password


def check_username(username: str) -> str:
    if not 1 <= len(username) <= 64 or not set(username) <= USERNAME_CHARACTERS:
        raise ValidationFailed(
            "ユーザー名は半角英小文字・数字・「.」「_」「-」で 64 文字以内にしてください "
            "(lowercase letters, digits, '.', '_', '-'; at most 64)."
        )
    return username


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(role.value for role in Role)
        raise ValidationFailed(f"役割が不明です: {value} (one of: {allowed})") from None


def find_staff(session: Session, tenant_id: str, username: str) -> StaffAccount:
    staff = session.scalars(
        select(StaffAccount)
        .where(StaffAccount.tenant_id == tenant_id, StaffAccount.username == username)
        .execution_options(unscoped=True)
    ).one_or_none()
    if staff is None:
        raise NotFound(f"職員アカウント {username} がありません (no such account).")
    return staff


def list_staff(session: Session, tenant_id: str) -> list[StaffAccount]:
    return list(
        session.scalars(
            select(StaffAccount)
            .where(StaffAccount.tenant_id == tenant_id)
            .order_by(StaffAccount.username)
            .execution_options(unscoped=True)
        )
    )


def add_staff(
    session: Session,
    tenant_id: str,
    *,
    username: str,
    role: Role,
    password: str,
    display_name: str | None = None,
    change: StaffChange,
) -> StaffAccount:
    check_username(username)
    check_password(password)
    exists = session.scalars(
        select(StaffAccount.id)
        .where(StaffAccount.tenant_id == tenant_id, StaffAccount.username == username)
        .execution_options(unscoped=True)
    ).first()
    if exists is not None:
        raise Conflict(f"職員アカウント {username} はすでにあります (already exists).")
    staff = StaffAccount(
        tenant_id=tenant_id,
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=hash_password(password),
    )
    session.add(staff)
    session.flush()
    record(
        session,
        tenant_id=tenant_id,
        action="staff.added",
        actor=change.actor,
        detail={"username": username, "role": role.value},
    )
    return staff


def end_sessions(session: Session, staff: StaffAccount) -> int:
    """End every open session of the account; returns how many were open."""
    credentials.invalidate(session, [credentials.staff_key(staff.id)])  # a bulk UPDATE: no flush
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(unscoped=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def disable_staff(session: Session, staff: StaffAccount, *, change: StaffChange) -> int:
    """Disable the account and end its sessions; returns the number of sessions ended."""
    staff.active = False
    ended = end_sessions(session, staff)
    record(
        session,
        tenant_id=staff.tenant_id,
        action="staff.disabled",
        actor=change.actor,
        detail={"username": staff.username, "sessions_ended": ended},
    )
    return ended


def enable_staff(session: Session, staff: StaffAccount, *, change: StaffChange) -> None:
    staff.active = True
    staff.failed_logins = 0
    staff.locked_until = None
    record(
        session,
        tenant_id=staff.tenant_id,
        action="staff.enabled",
        actor=change.actor,
        detail={"username": staff.username},
    )


def reset_password(
    session: Session, staff: StaffAccount, password: str, *, change: StaffChange
) -> int:
    """A new password; the account's sessions end and a lockout is lifted."""
    staff.password_hash = hash_password(check_password(password))
    staff.failed_logins = 0
    staff.locked_until = None
    ended = end_sessions(session, staff)
    record(
        session,
        tenant_id=staff.tenant_id,
        action="staff.password_reset",
        actor=change.actor,
        detail={"username": staff.username, "sessions_ended": ended},
    )
    return ended
