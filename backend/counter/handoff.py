"""The hand-off of a closed visit to the back office, built here and given to the outbox.

The payload is ``contracts.handoff.Handoff`` (``madoguchi.handoff/1``), one copy per enabled
destination of the tenant; the generic outbox (``backend/platform/outbox``) stores, delivers,
retries and purges it under the topic ``handoff``, keyed by the visit id. This module also
serves the back office's view of hand-offs: the case list and the documents a hand-off links
to (``backoffice_router.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.backoffice import service as backoffice
from backend.counter.models import Document, Visit
from backend.identity.tenants.models import Tenant
from backend.platform.access import Principal
from backend.platform.audit import service as audit
from backend.platform.errors import BadRequest, NotFound
from backend.platform.outbox import service as outbox
from backend.platform.outbox.models import Destination, OutboxMessage
from backend.platform.outbox.schemas import DeliveryRead, DestinationConfig
from backend.platform.outbox.topics import Topic, register_topic
from backend.platform.settings import get_settings
from contracts.guidance import ProcedureResult
from contracts.handoff import DocumentLink, Handoff
from contracts.visit import VisitRecord

log = logging.getLogger(__name__)

TOPIC = "handoff"
DocumentInput = Document | DocumentLink | dict[str, Any]


def _tenant_retention(session: Session) -> Iterable[tuple[str, dt.timedelta]]:
    """Delivered hand-offs keep their payload for the tenant's retention period."""
    for tenant_id, days in session.execute(select(Tenant.id, Tenant.retention_days)):
        yield tenant_id, dt.timedelta(days=days)


register_topic(
    Topic(TOPIC, decode=Handoff.model_validate, retention=_tenant_retention, key_is_visit=True)
)


def document_url(document_id: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/v1/handoffs/documents/{document_id}"


def _document_link(document: DocumentInput) -> DocumentLink:
    if isinstance(document, DocumentLink):
        return document
    if isinstance(document, Document):
        return DocumentLink(
            id=document.id,
            form=document.form,
            filename=document.filename,
            content_type=document.content_type,
            sha256=document.sha256,
            url=document_url(document.id),
        )
    data = dict(document)
    data.setdefault("url", document_url(str(data.get("id"))))
    return DocumentLink.model_validate(data)


def stored_document_links(session: Session, visit_id: str) -> list[DocumentLink]:
    """The visit's stored documents as its hand-off links to them, oldest first: the five
    columns a link is made of, not the rows (each carries its PDF, decrypted on load)."""
    rows = session.execute(
        select(
            Document.id, Document.form, Document.filename, Document.content_type, Document.sha256
        )
        .where(Document.visit_id == visit_id)
        .order_by(Document.created_at)
    )
    return [
        DocumentLink(
            id=id_,
            form=form,
            filename=filename,
            content_type=content_type,
            sha256=sha256,
            url=document_url(id_),
        )
        for id_, form, filename, content_type, sha256 in rows
    ]


def enqueue_handoff(
    session: Session,
    visit: Visit,
    record_json: dict[str, Any] | VisitRecord,
    documents: Sequence[DocumentInput],
    *,
    procedures: Sequence[ProcedureResult | dict[str, Any]] = (),
    actor: str | None = None,
) -> list[OutboxMessage]:
    """Write the visit's hand-off into the outbox: one row per enabled destination.

    Contract:
    - Call it inside the transaction that closes the visit, and let that transaction commit:
      this function only adds rows and ``flush()``es, so the hand-off exists if and only if the
      visit is closed. Nothing is sent here; ``madoguchi worker`` delivers after the commit.
    - ``record_json`` is the canonical visit record (``madoguchi.visit/1``, a dict or a
      ``VisitRecord``); it is validated here, and its ``visit_id`` is set to ``visit.id``.
    - ``documents`` are ``Document`` rows (or ``DocumentLink``s / dicts with id, form, sha256);
      receivers get their id, form, SHA-256 and a URL to fetch the bytes.
    - ``procedures`` are the guidance engine's chosen procedures (``ProcedureResult``).
    - Calling it again for the same visit makes a new version (v2, v3…) for every destination,
      with a new idempotency key: receivers treat it as a correction of the case.
    - The back office's case (``backend.backoffice``) is opened, or brought up to date, here too.
    - Raises ``BadRequest`` (code ``handoff_invalid``) if the record does not validate.
    Returns the new outbox rows (empty when the tenant has no enabled destination).
    """
    record = _validated_record(record_json, visit.id)
    links = [_document_link(document) for document in documents]
    chosen = [ProcedureResult.model_validate(p) for p in procedures]
    # Read once for the copies, their facts and the back office's character set.
    destinations = outbox.enabled_destinations(session, visit.tenant_id)
    named = fact_names_by_destination(session, visit.tenant_id, destinations)

    def payload(envelope: outbox.Envelope) -> dict[str, Any]:
        return Handoff(
            idempotency_key=envelope.idempotency_key,
            version=envelope.version,
            visit_id=visit.id,
            tenant=record.tenant,
            destination=envelope.destination,
            created_at=envelope.created_at,
            record=facts_for(record, named.get(envelope.destination, frozenset())),
            procedures=chosen,
            documents=links,
        ).to_json_dict()

    messages = outbox.enqueue(
        session,
        tenant_id=visit.tenant_id,
        topic=TOPIC,
        key=visit.id,
        payload=payload,
        destinations=destinations,
    )
    open_backoffice_case(session, visit, record, chosen, links, destinations)
    if not messages:
        log.warning(
            "visit %s handed off but tenant %s has no destination", visit.id, visit.tenant_id
        )
    audit.record(
        session,
        tenant_id=visit.tenant_id,
        action="handoff.enqueued",
        actor=actor,
        visit_id=visit.id,
        detail={
            "messages": [m.id for m in messages],
            "destinations": [m.destination for m in messages],
        },
    )
    return messages


def open_backoffice_case(
    session: Session,
    visit: Visit,
    record: VisitRecord,
    procedures: list[ProcedureResult],
    links: list[DocumentLink],
    destinations: Sequence[Destination] | None = None,
) -> None:
    """The back office's case for the visit, in the same transaction as the hand-off."""
    backoffice.open_case(
        session,
        visit_id=visit.id,
        tenant_id=visit.tenant_id,
        record=record,
        procedures=procedures,
        documents=links,
        destinations=destinations,
    )


def fact_names_by_destination(
    session: Session, tenant_id: str, destinations: Sequence[Destination] | None = None
) -> dict[str, frozenset[str]]:
    """The facts each enabled destination's contract names (its ``config.facts``; none by
    default). ``destinations``: the tenant's enabled ones, if already read."""
    if destinations is None:
        destinations = outbox.enabled_destinations(session, tenant_id)
    return {
        destination.name: frozenset(
            DestinationConfig.model_validate(
                {"facts": (destination.config or {}).get("facts") or []}
            ).facts
        )
        for destination in destinations
    }


def facts_for(record: VisitRecord, names: frozenset[str]) -> VisitRecord:
    """The record as one destination may see it: only the facts its contract names. Facts
    are free text and answers typed at the counter; a back office gets none it did not ask
    for."""
    kept = {name: value for name, value in record.facts.items() if name in names}
    return record.model_copy(update={"facts": kept})


def _validated_record(record_json: dict[str, Any] | VisitRecord, visit_id: str) -> VisitRecord:
    try:
        record = (
            record_json
            if isinstance(record_json, VisitRecord)
            else VisitRecord.model_validate(record_json)
        )
    except ValidationError as exc:
        raise BadRequest(
            "引き渡すデータ（来庁記録）の形式が正しくありません。",
            code="handoff_invalid",
            errors=len(exc.errors()),
        ) from exc
    return record.model_copy(update={"visit_id": visit_id})


# --- the back office's view ----------------------------------------------------------------


class DocumentRead(BaseModel):
    id: str
    form: str
    filename: str
    content_type: str
    sha256: str
    url: str


class CaseRead(BaseModel):
    visit_id: str
    event: str | None
    filed_on: str | None
    handed_off_at: dt.datetime
    documents: list[DocumentRead]
    deliveries: list[DeliveryRead]


def list_cases(session: Session, principal: Principal, limit: int) -> list[CaseRead]:
    """Handed-off visits, newest first, each with its documents and every delivery's state."""
    by_visit = outbox.latest_by_key(session, TOPIC, limit)
    visit_ids = list(by_visit)
    visits = {v.id: v for v in session.scalars(select(Visit).where(Visit.id.in_(visit_ids)))}
    documents: dict[str, list[DocumentRead]] = {}
    for doc in session.scalars(select(Document).where(Document.visit_id.in_(visit_ids))):
        documents.setdefault(doc.visit_id, []).append(
            DocumentRead(
                id=doc.id,
                form=doc.form,
                filename=doc.filename,
                content_type=doc.content_type,
                sha256=doc.sha256,
                url=f"/api/v1/handoffs/documents/{doc.id}",
            )
        )
    cases = []
    for visit_id in visit_ids:
        visit = visits.get(visit_id)
        rows = sorted(by_visit[visit_id], key=lambda m: (m.destination, m.version))
        cases.append(
            CaseRead(
                visit_id=visit_id,
                event=visit.event if visit else None,
                filed_on=visit.filed_on.isoformat() if visit and visit.filed_on else None,
                handed_off_at=max(m.created_at for m in rows),
                documents=documents.get(visit_id, []),
                deliveries=[DeliveryRead.model_validate(m) for m in rows],
            )
        )
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="handoff.cases_viewed",
        actor=principal.actor,
        detail={"visits": visit_ids},
    )
    return cases


def download_document(session: Session, principal: Principal, document_id: str) -> Document:
    """A document a hand-off links to, for the back office (audited)."""
    document = session.scalars(select(Document).where(Document.id == document_id)).one_or_none()
    if document is None or document.content is None:
        raise NotFound("書類が見つからないか、保存期間を過ぎて削除されました。")
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="document.downloaded",
        actor=principal.actor,
        visit_id=document.visit_id,
        detail={"document": document.id},
    )
    return document
