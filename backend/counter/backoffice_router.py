"""The back office's view of hand-offs: the case list, and the documents a hand-off links to.

The paths are those of the outbox API they grew up in (``/api/v1/outbox/cases``,
``/api/v1/handoffs/documents/{id}``); the outbox itself knows nothing of visits.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from backend.counter import handoff
from backend.counter.handoff import CaseRead
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["outbox"])

Reader = Annotated[Principal, Depends(require(Permission.HANDOFF_READ))]


@router.get("/outbox/cases", response_model=list[CaseRead])
def list_cases(
    principal: Reader, session: SessionDep, limit: int = Query(50, ge=1, le=500)
) -> list[CaseRead]:
    """Handed-off visits, newest first, each with its documents and every delivery's state."""
    return handoff.list_cases(session, principal, limit)


@router.get("/handoffs/documents/{document_id}")
def handoff_document(document_id: str, principal: Reader, session: SessionDep) -> Response:
    document = handoff.download_document(session, principal, document_id)
    return Response(
        content=document.content,
        media_type=document.content_type,
        headers={"x-content-sha256": document.sha256},
    )
