"""Hand-offs into the outbox, destinations, replay, and the pull feed.

Services only ``flush()``: the caller's transaction (the request, or ``session_scope``)
commits, so an outbox row exists exactly when the change that caused it does.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.counter.document_models import Document
from backend.counter.models import Visit
from backend.identity.tenants.models import Tenant
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from backend.platform.errors import BadRequest, Conflict, NotFound
from backend.platform.outbox.models import (
    DeliveryAttempt,
    Destination,
    MessageStatus,
    OutboxMessage,
)
from backend.platform.outbox.schemas import DestinationCreate
from backend.platform.settings import get_settings
from contracts.guidance import ProcedureResult
from contracts.handoff import DocumentLink, Handoff
from contracts.visit import VisitRecord

log = logging.getLogger(__name__)

TOPIC_HANDOFF = "handoff"
DocumentInput = Document | DocumentLink | dict[str, Any]


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


def idempotency_key(visit_id: str, destination_id: str, version: int) -> str:
    return f"handoff-{visit_id}-{destination_id}-v{version}"


def enabled_destinations(session: Session, tenant_id: str) -> list[Destination]:
    return list(
        session.scalars(
            select(Destination)
            .where(Destination.tenant_id == tenant_id, Destination.enabled.is_(True))
            .order_by(Destination.name)
            .execution_options(unscoped=True)
        )
    )


def _next_version(session: Session, visit_id: str, destination_id: str) -> int:
    current = session.scalar(
        select(func.max(OutboxMessage.version))
        .where(OutboxMessage.visit_id == visit_id, OutboxMessage.destination_id == destination_id)
        .execution_options(unscoped=True)
    )
    return int(current or 0) + 1


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
    - Raises ``BadRequest`` (code ``handoff_invalid``) if the record does not validate.
    Returns the new outbox rows (empty when the tenant has no enabled destination).
    """
    record = _validated_record(record_json, visit.id)
    tenant = session.get(Tenant, visit.tenant_id)
    if tenant is None:
        raise NotFound("自治体が見つかりません。")
    links = [_document_link(document) for document in documents]
    chosen = [ProcedureResult.model_validate(p) for p in procedures]
    now = utcnow()
    messages = []
    for destination in enabled_destinations(session, visit.tenant_id):
        version = _next_version(session, visit.id, destination.id)
        key = idempotency_key(visit.id, destination.id, version)
        handoff = Handoff(
            idempotency_key=key,
            version=version,
            visit_id=visit.id,
            tenant=record.tenant,
            destination=destination.name,
            created_at=now,
            record=record,
            procedures=chosen,
            documents=links,
        )
        message = OutboxMessage(
            tenant_id=visit.tenant_id,
            topic=TOPIC_HANDOFF,
            destination=destination.name,
            destination_id=destination.id,
            idempotency_key=key,
            version=version,
            visit_id=visit.id,
            payload=handoff.to_json_dict(),
            status=MessageStatus.PENDING,
            next_attempt_at=now,
        )
        session.add(message)
        messages.append(message)
    session.flush()
    if not messages:
        log.warning("visit %s handed off but tenant %s has no destination", visit.id, tenant.id)
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


def _validated_record(record_json: dict[str, Any] | VisitRecord, visit_id: str) -> VisitRecord:
    from pydantic import ValidationError

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


# --- destinations ----------------------------------------------------------------------


def create_destination(
    session: Session, tenant_id: str, body: DestinationCreate, actor: str | None = None
) -> Destination:
    exists = session.scalar(
        select(Destination.id)
        .where(Destination.tenant_id == tenant_id, Destination.name == body.name)
        .execution_options(unscoped=True)
    )
    if exists:
        raise Conflict("同じ名前の連携先がすでにあります。", code="destination_exists")
    destination = Destination(
        tenant_id=tenant_id,
        name=body.name,
        kind=body.kind,
        enabled=body.enabled,
        config=body.config,
        secret=body.secret,
        max_attempts=body.max_attempts,
        timeout_seconds=body.timeout_seconds,
        backoff_base_seconds=body.backoff_base_seconds,
        backoff_max_seconds=body.backoff_max_seconds,
    )
    session.add(destination)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        action="outbox.destination_created",
        actor=actor,
        detail={"destination": destination.id, "kind": destination.kind},
    )
    return destination


def list_destinations(session: Session, tenant_id: str) -> list[Destination]:
    return list(
        session.scalars(
            select(Destination)
            .where(Destination.tenant_id == tenant_id)
            .order_by(Destination.name)
            .execution_options(unscoped=True)
        )
    )


# --- replay ------------------------------------------------------------------------------


def get_message(session: Session, message_id: str, tenant_id: str | None) -> OutboxMessage:
    query = select(OutboxMessage).where(OutboxMessage.id == message_id)
    if tenant_id is not None:
        query = query.where(OutboxMessage.tenant_id == tenant_id)
    message = session.scalars(query.execution_options(unscoped=True)).one_or_none()
    if message is None:
        raise NotFound("連携メッセージが見つかりません。", code="message_not_found")
    return message


def replay(
    session: Session, message_id: str, *, tenant_id: str | None, actor: str | None
) -> OutboxMessage:
    """Send a message again (same idempotency key): dead ones, or delivered ones a receiver lost.

    The attempt counter starts again; a pull message goes back into the feed at a new position.
    """
    message = get_message(session, message_id, tenant_id)
    if message.payload is None:
        raise Conflict("保存期間を過ぎたため再送できません。", code="payload_purged")
    if message.status == MessageStatus.DELIVERING:
        raise Conflict("送信中です。しばらくしてからお試しください。", code="message_in_flight")
    previous = message.status
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claim_token = None
    message.locked_until = None
    message.feed_seq = None
    message.delivered_at = None
    session.add(
        DeliveryAttempt(
            tenant_id=message.tenant_id,
            message_id=message.id,
            ok=True,
            detail=f"replay requested by {actor or 'cli'} (was {previous})",
        )
    )
    session.flush()
    audit.record(
        session,
        tenant_id=message.tenant_id,
        action="handoff.replayed",
        actor=actor,
        visit_id=message.visit_id,
        detail={"message": message.id, "was": previous},
    )
    return message


def attempts_of(session: Session, message_id: str) -> list[DeliveryAttempt]:
    return list(
        session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id == message_id)
            .order_by(DeliveryAttempt.at)
            .execution_options(unscoped=True)
        )
    )


# --- pull feed ---------------------------------------------------------------------------


def pull_destination(session: Session, tenant_id: str, name: str | None) -> Destination:
    query = select(Destination).where(
        Destination.tenant_id == tenant_id, Destination.kind == "pull"
    )
    if name:
        query = query.where(Destination.name == name)
    found = list(session.scalars(query.execution_options(unscoped=True)))
    if not found:
        raise NotFound("取得（pull）用の連携先が設定されていません。", code="no_pull_destination")
    if len(found) > 1:
        raise BadRequest(
            "連携先名 (destination) を指定してください。", code="destination_ambiguous"
        )
    return found[0]


def feed(
    session: Session, destination: Destination, after: int | None, limit: int
) -> list[OutboxMessage]:
    start = destination.acked_cursor if after is None else after
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.destination_id == destination.id,
                OutboxMessage.feed_seq > start,
                OutboxMessage.status.in_([MessageStatus.PUBLISHED, MessageStatus.DELIVERED]),
            )
            .order_by(OutboxMessage.feed_seq)
            .limit(limit)
            .execution_options(unscoped=True)
        )
    )


def acknowledge(session: Session, destination: Destination, cursor: int, actor: str | None) -> int:
    """Everything in the feed up to ``cursor`` is stored by the receiver: mark it delivered."""
    if cursor > destination.feed_cursor:
        raise BadRequest("まだ配信していない位置は確認できません。", code="cursor_ahead")
    now = utcnow()
    acked = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.destination_id == destination.id,
                OutboxMessage.status == MessageStatus.PUBLISHED,
                OutboxMessage.feed_seq <= cursor,
            )
            .execution_options(unscoped=True)
        )
    )
    if acked:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(acked))
            .values(status=MessageStatus.DELIVERED, delivered_at=now, last_error=None)
        )
        for message_id in acked:
            session.add(
                DeliveryAttempt(
                    tenant_id=destination.tenant_id,
                    message_id=message_id,
                    ok=True,
                    at=now,
                    detail=f"acknowledged up to cursor {cursor} by {actor}",
                )
            )
    destination.acked_cursor = max(destination.acked_cursor, cursor)
    session.flush()
    audit.record(
        session,
        tenant_id=destination.tenant_id,
        action="handoff.acknowledged",
        actor=actor,
        detail={"destination": destination.id, "cursor": cursor, "messages": len(acked)},
    )
    return len(acked)


def backoff_delay(attempts: int, base: float, cap: float, jitter: float) -> dt.timedelta:
    """Exponential back-off with "equal jitter": half fixed, half random (``jitter`` ∈ [0, 1])."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return dt.timedelta(seconds=delay / 2 + delay / 2 * jitter)
