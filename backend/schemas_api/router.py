"""``/api/v1/schemas/``: the visit record and the hand-off as JSON Schema, and the lists the
screens show (public: reference data, no tenant or personal data; see ``lists``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.schemas_api.lists import Lists, published_lists
from contracts import visit_json_schema
from contracts.handoff import handoff_json_schema

router = APIRouter(prefix="/api/v1/schemas", tags=["schemas"])


@router.get("/visit.json")
def visit_schema() -> dict[str, Any]:
    return visit_json_schema()


@router.get("/handoff.json")
def handoff_schema() -> dict[str, Any]:
    return handoff_json_schema()


@router.get("/lists.json", response_model=Lists, response_model_by_alias=True)
def lists() -> Lists:
    """和暦 eras, life events, sexes, 続柄, certificate kinds, with their labels."""
    return published_lists()
