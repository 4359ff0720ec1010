"""A municipality's imported 町字 list (replaces the file-based one once imported)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin, utcnow


class AreaListRow(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "area_lists"

    prefecture: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(60))
    areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment="[{id, name, kana}]")
    digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the areas as JSON")
    source: Mapped[str] = mapped_column(String(40), comment="abr (町字マスター) or simple")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(String(100))
