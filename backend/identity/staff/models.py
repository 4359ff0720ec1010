"""Staff accounts of a municipality."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.access import Role
from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin, utcnow

__all__ = ["Role", "StaffAccount", "StaffSession"]  # Role: the access vocabulary, re-exported


class StaffAccount(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "username"),)

    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default=Role.CLERK.value)
    password_hash: Mapped[str | None] = mapped_column(String(255), comment="argon2id")
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()


class StaffSession(IdMixin, TenantOwned, Base):
    """A logged-in browser: the cookie carries a random token, the table only its hash."""

    __tablename__ = "staff_sessions"

    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column()
