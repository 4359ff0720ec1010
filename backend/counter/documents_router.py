"""The counter flow after the interview: guidance, forms, the tablet, documents, print, hand-off.

``/api/v1/visits/{id}/...`` for the clerk; the tablet's side is ``backend.counter.tablet_router``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from backend.counter import documents as service
from backend.counter.schemas import DocumentRead, FormRef, Forms, VisitRead
from backend.counter.views import visit_read
from backend.guidance.schemas import ResidentLanguage
from backend.guidance.translations import LANGUAGE_PATTERN
from backend.platform.access import Permission, Principal, hot_route, require, run_authorized
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.deps import SessionDep
from contracts import GuidanceResult

router = APIRouter(prefix="/api/v1/visits", tags=["counter flow"])

Reader = Annotated[Principal, Depends(require(Permission.VISIT_READ))]
Printer = Annotated[Principal, Depends(require(Permission.PRINT))]
Renderer = Annotated[Principal, Depends(require(Permission.FORMS_RENDER))]


@router.post("/{visit_id}/guidance", response_model=GuidanceResult)
@hot_route(Permission.GUIDANCE_USE)
async def guidance(
    visit_id: str, request: Request, lang: ResidentLanguage = None
) -> GuidanceResult:
    """The procedures this visit needs, with reasons and counters, and the questions still open;
    with ``lang``, each procedure's texts in the resident's language (``local``)."""
    return await run_authorized(
        request,
        lambda session, _principal: service.visit_guidance(session, visit_id, lang),
    )


@router.get("/{visit_id}/forms", response_model=Forms)
@hot_route(Permission.VISIT_READ)
async def forms(visit_id: str, request: Request) -> Forms:
    def listed(session: Session, _principal: Principal) -> Forms:
        return Forms(forms=[FormRef(**f) for f in service.visit_forms(session, visit_id)])

    return await run_authorized(request, listed)


# The routes of every visit below are hot routes (``access.run_authorized``: one thread
# hand-off instead of four or five). A hot route with a request body declares it
# ``access.body_checked_later``, so that an anonymous caller still gets 401 before the body is
# looked at, as ``require`` answers.


@router.get("/{visit_id}/forms/{form}/preview", response_class=Response)
@hot_route(Permission.FORMS_RENDER)
async def preview(visit_id: str, form: str, request: Request) -> Response:
    """The form prefilled, not yet signed (PDF)."""
    filename, content = await run_authorized(
        request,
        lambda session, principal: service.preview_form(session, visit_id, form, principal),
    )
    return _pdf(filename, content, inline=True)


@router.get("/{visit_id}/checklist", response_class=Response)
def resident_checklist(
    visit_id: str,
    principal: Renderer,
    session: SessionDep,
    lang: Annotated[str, Query(pattern=LANGUAGE_PATTERN)] = "ja",
) -> Response:
    """The resident's copy of the checklist (PDF) in their language, the Japanese under each
    procedure, counter and item: to print and hand over. Not signed, not stored."""
    filename, content = service.resident_checklist(session, visit_id, lang, principal)
    return _pdf(filename, content, inline=True)


@router.post("/{visit_id}/confirm", response_model=VisitRead)
@hot_route(Permission.VISIT_WRITE)
async def send_to_tablet(visit_id: str, request: Request) -> VisitRead:
    """「タブレットで確認」: the counter's tablet shows the data and asks for the signature."""

    def confirm(session: Session, principal: Principal) -> VisitRead:
        return visit_read(session, service.send_to_tablet(session, visit_id, principal))

    return await run_authorized(request, confirm)


@router.get("/{visit_id}/documents", response_model=list[DocumentRead])
@hot_route(Permission.VISIT_READ)
async def documents(visit_id: str, request: Request) -> list[DocumentRead]:
    return await run_authorized(
        request,
        lambda session, _principal: service.document_list(session, visit_id),
    )


@router.get("/{visit_id}/documents/{document_id}", response_class=Response)
def download(visit_id: str, document_id: str, principal: Reader, session: SessionDep) -> Response:
    document = service.download(session, visit_id, document_id, principal)
    assert document.content is not None
    return _pdf(document.filename, document.content, inline=False)


@router.post("/{visit_id}/print", response_model=AgentJobRead, status_code=201)
def print_summary(visit_id: str, principal: Printer, session: SessionDep) -> AgentJobRead:
    """Print the visit's slip (forms made, their hashes, the route) on the counter's printer."""
    return service.print_slip(session, visit_id, principal)


@router.post("/{visit_id}/handoff", response_model=VisitRead)
@hot_route(Permission.VISIT_WRITE)
async def handoff(visit_id: str, request: Request) -> VisitRead:
    """「バックオフィスへ送る」: the record and documents into the outbox, and the visit closed,
    in one transaction — the hand-off exists if and only if the visit is closed."""

    def hand_off(session: Session, principal: Principal) -> VisitRead:
        return visit_read(session, service.hand_off(session, visit_id, principal))

    return await run_authorized(request, hand_off)


def _pdf(filename: str, content: bytes, *, inline: bool) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "content-disposition": f'{disposition}; filename="{filename}"',
            "cache-control": "no-store",
        },
    )
