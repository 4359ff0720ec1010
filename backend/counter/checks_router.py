"""``GET /api/v1/visits/{id}/checks``: what contradicts the visit's life event, and what to do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from backend.counter import consistency
from backend.counter.consistency import ChecksRead
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/visits", tags=["visits"])

Reader = Annotated[Principal, Depends(require(Permission.VISIT_READ))]


@router.get("/{visit_id}/checks", response_model=ChecksRead)
def visit_checks(visit_id: str, principal: Reader, session: SessionDep) -> ChecksRead:
    """Consistency findings: ``block`` ones refuse 「タブレットで確認」 (400 visit_inconsistent),
    ``warn`` ones only inform. Each says what to do next, in Japanese and English."""
    return consistency.visit_checks(session, visit_id, principal)
