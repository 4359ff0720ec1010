"""The counter flow after the interview: guidance, forms, the tablet, documents, print, hand-off.

``/api/v1/visits/{id}/...`` for the clerk; the tablet's side is ``backend.counter.tablet_router``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict

from backend.counter import documents as service
from backend.counter import service as visits
from backend.counter.router import visit_read
from backend.counter.schemas import VisitRead
from backend.counter.states import VisitAction, ensure_allowed
from backend.platform.access import Permission, Principal, require
from backend.platform.agentlink import service as agent_service
from backend.platform.agentlink.hub import get_hub
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.audit import service as audit
from backend.platform.deps import SessionDep
from contracts import GuidanceResult

router = APIRouter(prefix="/api/v1/visits", tags=["counter flow"])

Reader = Annotated[Principal, Depends(require(Permission.VISIT_READ))]
Writer = Annotated[Principal, Depends(require(Permission.VISIT_WRITE))]
Printer = Annotated[Principal, Depends(require(Permission.PRINT))]
Guide = Annotated[Principal, Depends(require(Permission.GUIDANCE_USE))]


class FormRef(BaseModel):
    form: str
    title: str


class Forms(BaseModel):
    forms: list[FormRef]


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    form: str
    title: str
    filename: str
    sha256: str
    signature_id: str | None


@router.post("/{visit_id}/guidance", response_model=GuidanceResult)
def guidance(visit_id: str, principal: Guide, session: SessionDep) -> GuidanceResult:
    """The procedures this visit needs, with reasons and counters, and the questions still open."""
    return service.prepare(session, visits.get_visit(session, visit_id)).guidance


@router.get("/{visit_id}/forms", response_model=Forms)
def forms(visit_id: str, principal: Reader, session: SessionDep) -> Forms:
    prepared = service.prepare(session, visits.get_visit(session, visit_id))
    return Forms(forms=[FormRef(**f) for f in service.form_titles(prepared.forms)])


@router.get("/{visit_id}/forms/{form}/preview", response_class=Response)
def preview(visit_id: str, form: str, principal: Reader, session: SessionDep) -> Response:
    """The form prefilled, not yet signed (PDF)."""
    visit = visits.get_visit(session, visit_id)
    filename, content = service.preview(session, visit, form)
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="form.preview",
        actor=principal.actor,
        visit_id=visit.id,
        detail={"form": form},
    )
    return _pdf(filename, content, inline=True)


@router.post("/{visit_id}/confirm", response_model=VisitRead)
def send_to_tablet(visit_id: str, principal: Writer, session: SessionDep) -> VisitRead:
    """「タブレットで確認」: the counter's tablet shows the data and asks for the signature."""
    visit = visits.get_visit(session, visit_id)
    service.request_confirmation(session, visit)
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="visit.sent_to_tablet",
        actor=principal.actor,
        visit_id=visit.id,
    )
    return visit_read(session, visit)


@router.get("/{visit_id}/documents", response_model=list[DocumentRead])
def documents(visit_id: str, principal: Reader, session: SessionDep) -> list[DocumentRead]:
    visit = visits.get_visit(session, visit_id)
    rows = service.list_documents(session, visit)
    titles = {f["form"]: f["title"] for f in service.form_titles(sorted({d.form for d in rows}))}
    return [
        DocumentRead(
            id=d.id,
            form=d.form,
            title=titles.get(d.form, d.form),
            filename=d.filename,
            sha256=d.sha256,
            signature_id=d.signature_id,
        )
        for d in rows
    ]


@router.get("/{visit_id}/documents/{document_id}", response_class=Response)
def download(visit_id: str, document_id: str, principal: Reader, session: SessionDep) -> Response:
    visit = visits.get_visit(session, visit_id)
    document = service.get_document(session, visit, document_id)
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="document.download",
        actor=principal.actor,
        visit_id=visit.id,
        detail={"document_id": document.id},
    )
    assert document.content is not None
    return _pdf(document.filename, document.content, inline=False)


@router.post("/{visit_id}/print", response_model=AgentJobRead, status_code=201)
def print_summary(visit_id: str, principal: Printer, session: SessionDep) -> AgentJobRead:
    """Print the visit's slip (forms made, their hashes, the route) on the counter's printer."""
    from backend.printing.service import build_job
    from forms.receipt import checklist_slip, form_summary
    from hardware.printer.job import encode_job

    visit = visits.get_visit(session, visit_id)
    prepared = service.prepare(session, visit)
    stored = service.list_documents(session, visit)
    titles = {f["form"]: f["title"] for f in service.form_titles(prepared.forms)}
    parts = form_summary(prepared.record, [(titles.get(d.form, d.form), d.sha256) for d in stored])
    parts += checklist_slip(prepared.record, prepared.guidance)
    data = encode_job(build_job(parts, paper_dots=576))
    hub = get_hub()
    job = agent_service.submit_print(
        session,
        hub,
        counter_id=visit.counter_id or "",
        data=data,
        target="receipt",
        visit_id=visit.id,
        label="visit-slip",
        actor=principal.actor,
    )
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="print.request",
        actor=principal.actor,
        visit_id=visit.id,
        detail={"job_id": job.id},
    )
    return agent_service.job_read(session, hub, job)


@router.post("/{visit_id}/handoff", response_model=VisitRead)
def handoff(visit_id: str, principal: Writer, session: SessionDep) -> VisitRead:
    """「バックオフィスへ送る」: the record and documents into the outbox, and the visit closed,
    in one transaction — the hand-off exists if and only if the visit is closed."""
    visit = visits.get_visit(session, visit_id)
    ensure_allowed(visit, VisitAction.HAND_OFF)
    prepared = service.prepare(session, visit)
    stored = service.list_documents(session, visit)
    messages = service.enqueue(session, visit, prepared, stored, actor=principal.actor)
    visits.add_event(session, visit, "handed_off", {"messages": len(messages)})
    visits.close_visit(session, visit, actor=principal.actor, action=VisitAction.HAND_OFF)
    return visit_read(session, visit)


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
