"""``/api/v1/schemas/visit.json``: the canonical visit record as JSON Schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.record import visit_json_schema

router = APIRouter(prefix="/api/v1/schemas", tags=["schemas"])


@router.get("/visit.json")
def visit_schema() -> dict[str, Any]:
    return visit_json_schema()
