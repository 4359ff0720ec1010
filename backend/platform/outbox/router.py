"""Outbox API: destinations (admin), deliveries (back office), replay (admin), and the pull
feed with acknowledgement by cursor. The back office's case list and the documents a hand-off
links to are the counter's (``backend/counter/backoffice_router.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.platform.access import Permission, Principal, require
from backend.platform.audit import service as audit
from backend.platform.deps import SessionDep
from backend.platform.outbox import service
from backend.platform.outbox.models import Destination
from backend.platform.outbox.schemas import (
    AckRequest,
    AckResponse,
    AttemptRead,
    DeliveryDetail,
    DeliveryRead,
    DestinationCreate,
    DestinationRead,
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
