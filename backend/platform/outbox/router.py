"""Outbox API: destinations (admin), deliveries (back office), replay (admin), and the pull
feed with acknowledgement by cursor. The back office's case list and the documents a hand-off
links to are the counter's (``backend/counter/backoffice_router.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.platform.outbox import health, service
from backend.platform.outbox.models import Destination, MessageStatus
from backend.platform.outbox.schemas import (
    AckRequest,
    AckResponse,
    DeliveryDetail,
    DeliveryRead,
    DestinationCreate,
    DestinationHealth,
    DestinationRead,
    FeedPage,
    RecentDelivery,
)

router = APIRouter(prefix="/api/v1", tags=["outbox"])

Manager = Annotated[Principal, Depends(require(Permission.INTEGRATION_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.HANDOFF_READ))]
Acker = Annotated[Principal, Depends(require(Permission.HANDOFF_ACK))]
Replayer = Annotated[Principal, Depends(require(Permission.OUTBOX_REPLAY))]


def _destination_read(
    destination: Destination, unread: service.UnreadSummary | None = None
) -> DestinationRead:
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
        purged_unread=unread.count if unread else 0,
        purged_unread_oldest=unread.oldest if unread else None,
    )


@router.get("/outbox/destinations", response_model=list[DestinationRead])
def list_destinations(principal: Manager, session: SessionDep) -> list[DestinationRead]:
    listed = service.destinations_with_unread(session, principal.tenant_id)
    return [_destination_read(destination, unread) for destination, unread in listed]


@router.get("/outbox/destinations/health", response_model=list[DestinationHealth])
def destinations_health(principal: Manager, session: SessionDep) -> list[DestinationHealth]:
    """Each destination's last success and failure (in words), outbox counts, last deliveries."""
    return [_health_read(h) for h in health.health(session, principal.tenant_id)]


def _health_read(found: health.Health) -> DestinationHealth:
    destination, counts = found.destination, found.counts
    return DestinationHealth(
        id=destination.id,
        name=destination.name,
        kind=destination.kind,
        enabled=destination.enabled,
        last_success_at=found.last_success_at,
        last_failure_at=found.last_failure_at,
        last_failure=found.last_failure,
        last_failure_in_words=health.in_words(found.last_failure),
        pending=sum(counts.get(status, 0) for status in health.WAITING),
        published=counts.get(MessageStatus.PUBLISHED, 0),
        dead=counts.get(MessageStatus.DEAD, 0),
        delivered=counts.get(MessageStatus.DELIVERED, 0),
        expired=counts.get(MessageStatus.EXPIRED, 0),
        recent=[RecentDelivery.model_validate(m, from_attributes=True) for m in found.recent],
    )


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
    return service.message_detail(session, message_id, principal.tenant_id)


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
    return service.pull_page(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        destination_name=destination,
        after=after,
        limit=limit,
    )


@router.post("/handoffs/ack", response_model=AckResponse)
def ack_handoffs(body: AckRequest, principal: Acker, session: SessionDep) -> AckResponse:
    return service.acknowledge_page(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        destination_name=body.destination,
        cursor=body.cursor,
    )
