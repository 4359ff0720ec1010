"""``/api/v1/schemas/``: the visit record and the hand-off as JSON Schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from contracts import visit_json_schema
from contracts.handoff import handoff_json_schema

router = APIRouter(prefix="/api/v1/schemas", tags=["schemas"])


@router.get("/visit.json")
def visit_schema() -> dict[str, Any]:
    return visit_json_schema()


@router.get("/handoff.json")
def handoff_schema() -> dict[str, Any]:
    return handoff_json_schema()
