"""Municipalities (tenants), their offices and counters."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"

    code: Mapped[str] = mapped_column(String(6), unique=True, comment="団体コード with check digit")
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    retention_days: Mapped[int] = mapped_column(default=30)
    follow_shows_outcome: Mapped[bool] = mapped_column(
        default=False,
        server_default=sa_false(),
        comment="the resident's follow page shows 処理中／完了 of the back office's work",
    )


class Office(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    opens_at: Mapped[str] = mapped_column(String(5), default="08:30", comment="HH:MM local")
    closes_at: Mapped[str] = mapped_column(String(5), default="17:15", comment="HH:MM local")


class Counter(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    office_id: Mapped[str] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    floor: Mapped[str | None] = mapped_column(String(16))
    is_open: Mapped[bool] = mapped_column(default=False)
