"""The visit's forms: which ones, previews, and — once the resident signs — the stored PDFs.

The one signature is applied to every form of the visit and bound to each document's hash
(``forms.document_hash``: the record, the form and its layout version, and the guidance).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.backoffice import service as backoffice
from backend.counter import consistency, prepared_cache, rendering, states
from backend.counter import service as visits
from backend.counter.errors import QuestionsOpen
from backend.counter.handoff import DocumentInput, enqueue_handoff, stored_document_links
from backend.counter.models import Document, Signature, Visit
from backend.counter.schemas import DocumentRead
from backend.guidance import service as guidance_service
from backend.guidance.schemas import GuidanceRequest
from backend.guidance.translations import resident_language, translate
from backend.identity.tenants.models import Tenant
from backend.layouts import service as layouts
from backend.platform.access import Principal
from backend.platform.agentlink import service as agent_service
from backend.platform.agentlink.hub import get_hub
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.db import new_id
from backend.platform.errors import BadRequest, Conflict, NotFound
from contracts import GuidanceResult, ProcedureResult, VisitRecord
from contracts import Signature as SignatureShape
from forms import form_names, load_layout
from forms.data import (
    BINDINGS,
    certificate_subjects,
    moving_notice,
    notice_members,
    tax_certificates_issued_here,
)
from forms.layout import Layout
from forms.pdf import document_hashes as hashes_of_forms

MOVING_FORM = "moving-notice"
RESIDENCE_FORM = "residence-certificate-request"
TAX_FORM = "tax-certificate-request"
TAX_POSTAL_FORM = "tax-certificate-postal-request"
CERTIFICATE_FORMS = {
    "residence": RESIDENCE_FORM,
    "residence_removed": RESIDENCE_FORM,
    "family_register_attachment": RESIDENCE_FORM,
    "tax": TAX_FORM,
}


@dataclass(frozen=True)
class Prepared:
    record: VisitRecord
    guidance: GuidanceResult
    forms: list[str]
    layouts: dict[str, Layout] = field(default_factory=dict)  # the municipality's own

    def layout(self, form: str) -> Layout:
        """The layout this visit's ``form`` is drawn with: the municipality's, else built in."""
        return self.layouts.get(form) or load_layout(form)


class NoForms(BadRequest):
    code = "no_forms"
    default_message = "作成する届出書・申請書がありません。届出の種類や証明書を選んでください。"


class FormNotInVisit(NotFound):
    code = "form_not_in_visit"
    default_message = "この受付では作成しない書類です。"


class EmptySignature(BadRequest):
    code = "empty_signature"
    default_message = "署名が空です。枠の中にお名前を書いてください。"


def run_guidance(session: Session, visit: Visit, record: VisitRecord) -> GuidanceResult:
    return guidance_service.guide(session, visit.tenant_id, GuidanceRequest(visit=record))


def forms_for(record: VisitRecord, guidance: GuidanceResult) -> list[str]:
    """The forms of the visit, in route order, each once: the procedures' and certificates'.

    A tax certificate this town cannot issue (転入 after 1 January) becomes the 郵送請求書 to
    the municipality of 1 January.
    """
    known = known_forms()
    wanted: list[str] = []
    for procedure in guidance.procedures:
        wanted += procedure.forms
    wanted += [
        CERTIFICATE_FORMS[c.kind] for c in record.certificates if c.kind in CERTIFICATE_FORMS
    ]
    if not tax_certificates_issued_here(record):
        wanted = [TAX_POSTAL_FORM if f == TAX_FORM else f for f in wanted]
    ordered = [f for f in dict.fromkeys(wanted) if f in known]
    # The checklist is the resident's route through the building: last.
    return sorted(ordered, key=lambda f: f == "checklist")


def known_forms() -> frozenset[str]:
    """``forms.form_names()`` (the layout files on disk), listed again only when a layout
    folder changes (its mtime: ``prepared_cache.layouts_state``, part of the prepared key),
    not at every build of a visit's forms."""
    return _form_names_in(prepared_cache.layouts_state())


@functools.lru_cache(maxsize=4)
def _form_names_in(_folders: tuple[tuple[str, int], ...]) -> frozenset[str]:
    return frozenset(form_names())


def filename_of(form: str, record: VisitRecord) -> str:
    return load_layout(form).filename.format(visit=record.visit_id or "draft")


def handoff_procedures(record: VisitRecord, guidance: GuidanceResult) -> list[ProcedureResult]:
    """The procedures as handed off, naming the members exactly as their forms do.

    The guidance engine leaves members empty (meaning everyone) where no rule is per member,
    while a certificate request lists only its subjects and the 住民異動届 only the members who
    move: the hand-off (JSON and the CSV for RPA) names the same people as the paper.
    """
    by_form: dict[str, list[int]] = {MOVING_FORM: notice_members(record)}
    for cert in record.certificates:
        form = CERTIFICATE_FORMS.get(cert.kind)
        if form is not None:
            subjects = certificate_subjects(record, cert)
            by_form[form] = list(dict.fromkeys([*by_form.get(form, []), *subjects]))
    out = []
    for procedure in guidance.procedures:
        members = next((by_form[f] for f in procedure.forms if f in by_form), None)
        if members is not None and not procedure.members:
            procedure = procedure.model_copy(update={"members": sorted(members)})
        out.append(procedure)
    return out


def prepare(session: Session, visit: Visit) -> Prepared:
    """The record, guidance and forms: built once per state of the visit (prepared_cache)."""
    return prepared_cache.cached(
        prepared_cache.visit_state(session, visit), lambda: build_prepared(session, visit)
    )


def build_prepared(session: Session, visit: Visit) -> Prepared:
    # Held while building: the record and the guidance each ask the session for the tenant,
    # which keeps only weak references (two more SELECTs if nobody holds it).
    _tenant = session.get(Tenant, visit.tenant_id)
    record = visits.build_record(session, visit)
    guidance = run_guidance(session, visit, record)
    forms = forms_for(record, guidance)
    return Prepared(record, guidance, forms, layouts.layouts_for(session, visit.tenant_id))


def form_titles(names: list[str]) -> list[dict[str, str]]:
    return [{"form": n, "title": load_layout(n).title} for n in names]


def preview(session: Session, visit: Visit, form: str) -> tuple[str, bytes]:
    prepared = prepare(session, visit)
    if form not in prepared.forms:
        raise FormNotInVisit()
    rendered = rendering.preview(
        form, prepared.record, prepared.guidance, prepared.layouts.get(form)
    )
    return rendered.filename, rendered.content


def prefilled_fields(form: str, record: VisitRecord, guidance: GuidanceResult) -> int:
    """How many entries the resident did not write by hand on this form."""
    return _prefilled(load_layout(form).form, record, guidance)


def _prefilled(layout_form: str, record: VisitRecord, guidance: GuidanceResult) -> int:
    data = BINDINGS.get(layout_form, moving_notice)(record, guidance)
    return (
        len(data.values)
        + sum(len(v) for v in data.checks.values())
        + sum(len([x for x in row.values() if x]) for row in data.rows)
    )


def request_confirmation(session: Session, visit: Visit) -> Prepared:
    """「タブレットで確認」: the visit goes to the counter's tablet for checking and signing."""
    states.ensure_allowed(visit, states.VisitAction.SEND_TO_TABLET)
    prepared = prepare(session, visit)
    # A contradiction in the data first: fixing it may change which questions are open.
    consistency.refuse_if_blocked(session, visit, prepared.record)
    refuse_open_questions(prepared)
    if not prepared.forms:
        raise NoForms()
    states.apply(visit, states.VisitAction.SEND_TO_TABLET)
    visits.add_event(session, visit, "tablet.sent", {"forms": prepared.forms})
    return prepared


def refuse_open_questions(prepared: Prepared) -> None:
    """A question the guidance still asks changes the list of procedures: the resident must
    not sign an incomplete list. The clerk answers it, or marks it 「確認できない」 with a reason
    (``VisitRecord.unresolved``, which goes to the back office)."""
    unresolved = {u.question for u in prepared.record.unresolved}
    still_open = [q for q in prepared.guidance.questions if q.id not in unresolved]
    if still_open:
        raise QuestionsOpen(
            questions=[{"id": q.id, "text": q.text.get("ja", q.id)} for q in still_open]
        )


def signature_digest(signature: SignatureShape) -> str:
    canonical = json.dumps(
        signature.model_dump(mode="json", exclude={"png_base64"}),
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def document_hashes(prepared: Prepared, layouts: Mapping[str, Layout]) -> dict[str, str]:
    """``forms.document_hash`` of each form of the visit, the record and the guidance turned
    into canonical JSON once for all the forms (``forms.pdf.document_hashes``). ``layouts``: each
    form's, as ``Prepared.layout`` gives it."""
    versions = [(layouts[form].form, layouts[form].version) for form in prepared.forms]
    hashes = hashes_of_forms(versions, prepared.record, prepared.guidance)
    return dict(zip(prepared.forms, hashes, strict=True))


def sign(
    session: Session, visit: Visit, signature: SignatureShape, *, device: str | None
) -> list[Document]:
    """The resident's one signature: every form rendered with it, stored with its hash.

    The signature row is written bound to every document's hash already (no UPDATE after its
    INSERT), and first: its documents refer to it, and with no relationship() between them
    the unit of work would not order the two INSERTs. The documents are given their ids now,
    so they and the events go to the database with the request's last flush."""
    states.ensure_allowed(visit, states.VisitAction.SIGN)
    if not signature.strokes:
        raise EmptySignature()
    prepared = prepare(session, visit)
    form_layouts = {form: prepared.layout(form) for form in prepared.forms}
    bound = document_hashes(prepared, form_layouts)
    row = Signature(
        tenant_id=visit.tenant_id,
        visit_id=visit.id,
        strokes=signature.model_dump_json(),
        sha256=signature_digest(signature),
        device=device,
        bound_documents=bound,
    )
    session.add(row)
    session.flush()
    documents: list[Document] = []
    for form in prepared.forms:
        rendered = rendering.signed(
            form, prepared.record, prepared.guidance, signature, prepared.layouts.get(form)
        )
        document = Document(
            id=new_id(),
            tenant_id=visit.tenant_id,
            visit_id=visit.id,
            form=form,
            filename=rendered.filename,
            content_type=rendered.content_type,
            sha256=bound[form],
            content=rendered.content,
            signature_id=row.id,
        )
        session.add(document)
        documents.append(document)
    states.apply(visit, states.VisitAction.SIGN)
    visits.add_event(
        session, visit, "visit.signed", {"signature_id": row.id, "documents": len(documents)}
    )
    for document in documents:
        visits.add_event(
            session,
            visit,
            "document.stored",
            {
                "document_id": document.id,
                "form": document.form,
                "sha256": document.sha256,
                "prefilled_fields": _prefilled(
                    form_layouts[document.form].form, prepared.record, prepared.guidance
                ),
            },
        )
    return documents


def list_documents(session: Session, visit: Visit) -> list[Document]:
    return list(
        session.scalars(
            select(Document).where(Document.visit_id == visit.id).order_by(Document.created_at)
        )
    )


def get_document(session: Session, visit: Visit, document_id: str) -> Document:
    document = session.scalars(
        select(Document).where(Document.id == document_id, Document.visit_id == visit.id)
    ).one_or_none()
    if document is None or document.content is None:
        raise NotFound(
            "書類が見つかりません（保存期間が過ぎた可能性があります）。", code="document_not_found"
        )
    return document


def enqueue(
    session: Session,
    visit: Visit,
    prepared: Prepared,
    stored: Sequence[DocumentInput],
    *,
    actor: str,
) -> list[Any]:
    """The hand-off rows, in the caller's transaction (``backend.counter.handoff``).

    A tenant with no enabled destination would close the visit with nothing handed off: that
    is refused, so the visit stays open and nothing the resident gave us is lost.
    """
    rows = enqueue_handoff(
        session,
        visit,
        prepared.record,
        stored,
        procedures=handoff_procedures(prepared.record, prepared.guidance),
        actor=actor,
    )
    if not rows:
        raise Conflict(
            "バックオフィスの送付先が設定されていません。管理者に連絡してください。",
            code="no_handoff_destination",
        )
    return list(rows)


# --- one function per request of the counter flow (``backend.counter.documents_router``) --------


def visit_guidance(session: Session, visit_id: str, lang: str | None = None) -> GuidanceResult:
    """The procedures the visit needs, with reasons and counters, and the questions still open;
    with ``lang``, their texts in the resident's language beside the Japanese."""
    guidance = prepare(session, visits.get_visit(session, visit_id)).guidance
    return guidance_service.localized(session, guidance, lang)


def changed_visit_guidance(session: Session, visit: Visit) -> GuidanceResult:
    """The guidance of a visit this request just changed (the change's answer): built from the
    rows the change already loaded and flushed, and kept in ``prepared_cache`` under their
    state, where the next preview, confirmation or guidance of the same state finds it."""
    return prepare(session, visit).guidance


def resident_checklist(
    session: Session, visit_id: str, lang: str, principal: Principal
) -> tuple[str, bytes]:
    """The resident's copy of the checklist in ``lang``, the Japanese under each line
    (``forms.resident_checklist``); not signed, not stored, audited like a preview."""
    from forms import resident_checklist  # reportlab's platypus, only when asked for

    visit = visits.get_visit(session, visit_id)
    prepared = prepare(session, visit)
    resident = resident_language(lang) or "ja"
    guidance = guidance_service.localized(session, prepared.guidance, resident)
    event = translate(resident, "event", prepared.record.event, prepared.record.event)
    rendered = resident_checklist.render(prepared.record, guidance, resident, event=event)
    visits.audit_visit(
        session, principal, "form.preview", visit, {"form": "checklist", "lang": resident}
    )
    return rendered.filename, rendered.content


def visit_forms(session: Session, visit_id: str) -> list[dict[str, str]]:
    return form_titles(prepare(session, visits.get_visit(session, visit_id)).forms)


def preview_form(
    session: Session, visit_id: str, form: str, principal: Principal
) -> tuple[str, bytes]:
    """The form prefilled, not yet signed; each preview is audited."""
    visit = visits.get_visit(session, visit_id)
    filename, content = preview(session, visit, form)
    visits.audit_visit(session, principal, "form.preview", visit, {"form": form})
    return filename, content


def send_to_tablet(session: Session, visit_id: str, principal: Principal) -> Visit:
    visit = visits.get_visit(session, visit_id)
    request_confirmation(session, visit)
    visits.audit_visit(session, principal, "visit.sent_to_tablet", visit)
    return visit


def _listed(session: Session, visit: Visit) -> Sequence[Any]:
    """``list_documents`` as the list and the slip show it: the columns, not the rows (each
    row carries its PDF, decrypted on load)."""
    return session.execute(
        select(
            Document.id, Document.form, Document.filename, Document.sha256, Document.signature_id
        )
        .where(Document.visit_id == visit.id)
        .order_by(Document.created_at)
    ).all()


def document_list(session: Session, visit_id: str) -> list[DocumentRead]:
    rows = _listed(session, visits.get_visit(session, visit_id))
    titles = {f["form"]: f["title"] for f in form_titles(sorted({d.form for d in rows}))}
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


def download(session: Session, visit_id: str, document_id: str, principal: Principal) -> Document:
    """A stored document (its content still there); each download is audited."""
    visit = visits.get_visit(session, visit_id)
    document = get_document(session, visit, document_id)
    visits.audit_visit(session, principal, "document.download", visit, {"document_id": document.id})
    return document


def print_slip(session: Session, visit_id: str, principal: Principal) -> AgentJobRead:
    """The visit's slip (forms made, their hashes, the route) to the counter's printer."""
    from backend.printing.service import build_job
    from forms.receipt import checklist_slip, form_summary
    from hardware.printer.job import encode_job

    visit = visits.get_visit(session, visit_id)
    prepared = prepare(session, visit)
    stored = _listed(session, visit)
    titles = {f["form"]: f["title"] for f in form_titles(prepared.forms)}
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
    visits.audit_visit(session, principal, "print.request", visit, {"job_id": job.id})
    return agent_service.job_read(session, hub, job)


def hand_off(session: Session, visit_id: str, principal: Principal) -> Visit:
    """「バックオフィスへ送る」: the record and documents into the outbox, and the visit closed,
    in one transaction: the hand-off exists if and only if the visit is closed."""
    visit = visits.get_visit(session, visit_id)
    states.ensure_allowed(visit, states.VisitAction.HAND_OFF)
    prepared = prepare(session, visit)
    stored = stored_document_links(session, visit.id)
    messages = enqueue(session, visit, prepared, stored, actor=principal.actor)
    # Suggested: what the guidance listed (要確認 included); taken: the back office's work items.
    handed = {
        "messages": len(messages),
        "procedures_suggested": len(prepared.guidance.procedures),
        "procedures_taken": backoffice.work_item_count(session, visit.id),
    }
    visits.add_event(session, visit, "handed_off", handed)
    return visits.close(session, visit, actor=principal.actor, action=states.VisitAction.HAND_OFF)
