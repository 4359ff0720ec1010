"""Outbox API: destinations (admin), cases and deliveries (back office), replay (admin),
the pull feed with acknowledgement by cursor, and the documents a hand-off links to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from backend.counter.document_models import Document
from backend.counter.models import Visit
from backend.platform.access import Permission, Principal, require
from backend.platform.audit import service as audit
from backend.platform.deps import SessionDep
from backend.platform.errors import NotFound
from backend.platform.outbox import service
from backend.platform.outbox.models import Destination, OutboxMessage
from backend.platform.outbox.schemas import (
    AckRequest,
    AckResponse,
    AttemptRead,
    CaseRead,
    DeliveryDetail,
    DeliveryRead,
    DestinationCreate,
    DestinationRead,
    DocumentRead,
    FeedItem,
    FeedPage,
)

router = APIRouter(prefix="/api/v1", tags=["outbox"])

Manager = Annotated[Principal, Depends(require(Permission.INTEGRATION_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.HANDOFF_READ))]
Acker = Annotated[Principal, Depends(require(Permission.HANDOFF_ACK))]
Replayer = Annotated[Principal, Depends(require(Permission.OUTBOX_REPLAY))]


def _destination_read(destination: Destination) -> DestinationRead:
    return DestinationRead(
        id=destination.id,
        name=destination.name,
        kind=destination.kind,
        enabled=destination.enabled,
        config=destination.config,
        has_secret=bool(destination.secret),
        max_attempts=destination.max_attempts,
        timeout_seconds=destination.timeout_seconds,
        backoff_base_seconds=destination.backoff_base_seconds,
        backoff_max_seconds=destination.backoff_max_seconds,
        feed_cursor=destination.feed_cursor,
        acked_cursor=destination.acked_cursor,
    )


@router.get("/outbox/destinations", response_model=list[DestinationRead])
def list_destinations(principal: Manager, session: SessionDep) -> list[DestinationRead]:
    return [_destination_read(d) for d in service.list_destinations(session, principal.tenant_id)]


@router.post("/outbox/destinations", response_model=DestinationRead, status_code=201)
def create_destination(
    body: DestinationCreate, principal: Manager, session: SessionDep
) -> DestinationRead:
    destination = service.create_destination(
        session, principal.tenant_id, body, actor=principal.actor
    )
    return _destination_read(destination)


@router.get("/outbox/cases", response_model=list[CaseRead])
def list_cases(
    principal: Reader, session: SessionDep, limit: int = Query(50, ge=1, le=500)
) -> list[CaseRead]:
    """Handed-off visits, newest first, each with its documents and every delivery's state."""
    messages = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.visit_id.is_not(None))
            .order_by(OutboxMessage.created_at.desc())
            .limit(limit * 8)
        )
    )
    by_visit: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        assert message.visit_id is not None
        by_visit.setdefault(message.visit_id, []).append(message)
    visit_ids = list(by_visit)[:limit]
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


@router.get("/outbox/messages/{message_id}", response_model=DeliveryDetail)
def message_detail(message_id: str, principal: Reader, session: SessionDep) -> DeliveryDetail:
    message = service.get_message(session, message_id, principal.tenant_id)
    detail = DeliveryDetail.model_validate(message)
    detail.attempt_log = [
        AttemptRead.model_validate(a) for a in service.attempts_of(session, message.id)
    ]
    return detail


@router.post("/outbox/messages/{message_id}/replay", response_model=DeliveryRead)
def replay_message(message_id: str, principal: Replayer, session: SessionDep) -> DeliveryRead:
    message = service.replay(
        session, message_id, tenant_id=principal.tenant_id, actor=principal.actor
    )
    return DeliveryRead.model_validate(message)


@router.get("/handoffs", response_model=FeedPage)
def pull_handoffs(
    principal: Reader,
    session: SessionDep,
    after: int | None = Query(None, ge=0, description="cursor; default: the last acked"),
    limit: int = Query(100, ge=1, le=1000),
    destination: str | None = Query(None, description="needed if several pull destinations"),
) -> FeedPage:
    """The pull feed, in order. Store the items, then POST /handoffs/ack with next_cursor."""
    target = service.pull_destination(session, principal.tenant_id, destination)
    messages = service.feed(session, target, after, limit)
    start = target.acked_cursor if after is None else after
    items = [FeedItem(cursor=m.feed_seq or 0, handoff=m.payload or {}) for m in messages]
    if items:
        audit.record(
            session,
            tenant_id=principal.tenant_id,
            action="handoff.pulled",
            actor=principal.actor,
            detail={"destination": target.id, "messages": [m.id for m in messages]},
        )
    return FeedPage(
        destination=target.name,
        items=items,
        next_cursor=items[-1].cursor if items else start,
        acked_cursor=target.acked_cursor,
    )


@router.post("/handoffs/ack", response_model=AckResponse)
def ack_handoffs(body: AckRequest, principal: Acker, session: SessionDep) -> AckResponse:
    target = service.pull_destination(session, principal.tenant_id, body.destination)
    count = service.acknowledge(session, target, body.cursor, principal.actor)
    return AckResponse(
        destination=target.name, acked_cursor=target.acked_cursor, acknowledged=count
    )


@router.get("/handoffs/documents/{document_id}")
def handoff_document(document_id: str, principal: Reader, session: SessionDep) -> Response:
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
    return Response(
        content=document.content,
        media_type=document.content_type,
        headers={"x-content-sha256": document.sha256},
    )
