"""``/healthz``: the process answers. ``/readyz``: the database answers and is migrated."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from backend.platform.db import get_engine
from backend.platform.errors import ServiceUnavailable
from backend.platform.migrate import is_at_head

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz() -> dict[str, str]:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
            migrated = is_at_head(connection)
    except Exception as exc:  # any driver error means "not ready", with the reason
        raise ServiceUnavailable(
            "データベースに接続できません。", code="database_unreachable"
        ) from exc
    if not migrated:
        raise ServiceUnavailable(
            "データベースのマイグレーションが最新ではありません。"
            "`madoguchi db upgrade` を実行してください。",
            code="migrations_pending",
        )
    return {"status": "ready"}
