"""Messages into the outbox, destinations, replay, and the pull feed.

Services only ``flush()``: the caller's transaction (the request, or ``session_scope``)
commits, so an outbox row exists exactly when the change that caused it does; the worker is
nudged after that commit (``uow.after_commit``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.platform import uow
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from backend.platform.errors import BadRequest, Conflict, NotFound
from backend.platform.outbox.models import (
    DeliveryAttempt,
    Destination,
    MessageStatus,
    OutboxMessage,
)
from backend.platform.outbox.schemas import (
    AckResponse,
    AttemptRead,
    DeliveryDetail,
    DestinationCreate,
    FeedItem,
    FeedPage,
)
from backend.platform.outbox.topics import topic as topic_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Envelope:
    """What the outbox decides for one copy of a message: a payload builder may embed it."""

    idempotency_key: str
    version: int
    destination: str
    created_at: dt.datetime


Payload = dict[str, Any] | Callable[[Envelope], dict[str, Any]]

# Set after a commit that enqueued something; a worker in this process may wait on it.
enqueued = threading.Event()


def idempotency_key(topic: str, key: str, destination_id: str, version: int) -> str:
    return f"{topic}-{key}-{destination_id}-v{version}"


def enabled_destinations(session: Session, tenant_id: str) -> list[Destination]:
    return list(
        session.scalars(
            select(Destination)
            .where(Destination.tenant_id == tenant_id, Destination.enabled.is_(True))
            .order_by(Destination.name)
            .execution_options(unscoped=True)
        )
    )


def _next_versions(
    session: Session, topic: str, key: str, destination_ids: list[str]
) -> dict[str, int]:
    """The next ``version`` of (topic, key, destination) for each destination: one statement.

    Two writers of the same key may both take the same number; the unique idempotency key
    (which carries it) lets only the first commit."""
    if not destination_ids:
        return {}
    current = dict(
        session.execute(
            select(OutboxMessage.destination_id, func.max(OutboxMessage.version))
            .where(
                OutboxMessage.topic == topic,
                OutboxMessage.key == key,
                OutboxMessage.destination_id.in_(destination_ids),
            )
            .group_by(OutboxMessage.destination_id)
            .execution_options(unscoped=True)
        ).all()
    )
    return {d: int(current.get(d) or 0) + 1 for d in destination_ids}


def enqueue(
    session: Session,
    *,
    tenant_id: str,
    topic: str,
    key: str,
    payload: Payload,
    destinations: Sequence[Destination] | None = None,
) -> list[OutboxMessage]:
    """Write a message into the outbox: one row per enabled destination of the tenant.

    Contract:
    - Call it inside the transaction that makes the change, and let that transaction commit:
      it only adds rows and ``flush()``es, so the message exists if and only if the change
      does. Nothing is sent here; ``madoguchi worker`` delivers after the commit.
    - Each copy gets the next ``version`` of (topic, key, destination) and the idempotency key
      ``<topic>-<key>-<destination id>-v<version>``: enqueueing again for the same key is a
      new version (receivers treat it as a correction), never a duplicate.
    - ``payload`` is a JSON object, or a function of the copy's ``Envelope`` returning one
      (to carry the idempotency key, version and destination inside the payload).
    - A topic not sent ``by_default`` goes only to destinations whose ``config.topics`` name it.
    - ``destinations``: the tenant's ``enabled_destinations``, when the caller read them
      already in this transaction (read here otherwise).
    Returns the new rows (empty when the tenant has no enabled destination).
    """
    now = utcnow()
    messages = []
    subscribed = topic_of(topic).sent_to
    if destinations is None:
        destinations = enabled_destinations(session, tenant_id)
    targets = [d for d in destinations if subscribed(d.config)]
    versions = _next_versions(session, topic, key, [d.id for d in targets])
    for destination in targets:
        version = versions[destination.id]
        envelope = Envelope(
            idempotency_key(topic, key, destination.id, version), version, destination.name, now
        )
        message = OutboxMessage(
            tenant_id=tenant_id,
            topic=topic,
            destination=destination.name,
            destination_id=destination.id,
            idempotency_key=envelope.idempotency_key,
            version=version,
            key=key,
            payload=payload(envelope) if callable(payload) else payload,
            status=MessageStatus.PENDING,
            next_attempt_at=now,
        )
        session.add(message)
        messages.append(message)
    session.flush()
    if messages:
        uow.after_commit(session, enqueued.set)
    return messages


def latest_by_key(session: Session, topic: str, limit: int) -> dict[str, list[OutboxMessage]]:
    """The ``limit`` keys of ``topic`` messaged most recently, newest first, with their rows
    (the session's tenant scoping applies)."""
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.topic == topic, OutboxMessage.key.is_not(None))
        .order_by(OutboxMessage.created_at.desc())
        .limit(limit * 8)
    )
    by_key: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        assert message.key is not None
        if message.key in by_key or len(by_key) < limit:
            by_key.setdefault(message.key, []).append(message)
    return by_key


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
    uow.after_commit(session, enqueued.set)
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
        action=f"{message.topic}.replayed",
        actor=actor,
        visit_id=topic_of(message.topic).audit_visit_id(message.key),
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


def message_detail(session: Session, message_id: str, tenant_id: str) -> DeliveryDetail:
    """One message with its attempt log (the back office's delivery view)."""
    message = get_message(session, message_id, tenant_id)
    detail = DeliveryDetail.model_validate(message)
    detail.attempt_log = [AttemptRead.model_validate(a) for a in attempts_of(session, message.id)]
    return detail


def pull_page(
    session: Session,
    *,
    tenant_id: str,
    actor: str,
    destination_name: str | None,
    after: int | None,
    limit: int,
) -> FeedPage:
    """A page of the pull feed, in order; handing out payloads is audited."""
    target = pull_destination(session, tenant_id, destination_name)
    messages = feed(session, target, after, limit)
    start = target.acked_cursor if after is None else after
    items = [
        FeedItem(cursor=m.feed_seq or 0, topic=m.topic, handoff=m.payload or {}) for m in messages
    ]
    if items:
        audit.record(
            session,
            tenant_id=tenant_id,
            action="handoff.pulled",
            actor=actor,
            detail={"destination": target.id, "messages": [m.id for m in messages]},
        )
    return FeedPage(
        destination=target.name,
        items=items,
        next_cursor=items[-1].cursor if items else start,
        acked_cursor=target.acked_cursor,
    )


def acknowledge_page(
    session: Session, *, tenant_id: str, actor: str, destination_name: str | None, cursor: int
) -> AckResponse:
    target = pull_destination(session, tenant_id, destination_name)
    count = acknowledge(session, target, cursor, actor)
    return AckResponse(
        destination=target.name, acked_cursor=target.acked_cursor, acknowledged=count
    )


# --- Purged unread: retention does not wait for a receiver that may never come ---------------

UNDELIVERED = (MessageStatus.PENDING, MessageStatus.DELIVERING, MessageStatus.PUBLISHED,
               MessageStatus.DEAD)  # fmt: skip
PURGED_UNREAD = "purged unread: the retention period passed before the receiver took it"


@dataclass(frozen=True)
class UnreadMessage:
    id: str
    destination: str
    created_at: dt.datetime


@dataclass(frozen=True)
class UnreadSummary:
    """Messages of one destination purged (or to be purged) before anyone read them."""

    tenant: str  # its id, or its code where the operator reads it
    destination: str
    count: int
    oldest: dt.datetime


def unread_messages(session: Session, topic: str, key: str) -> list[UnreadMessage]:
    """The messages about ``key`` not delivered yet that still hold a payload."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.destination, OutboxMessage.created_at)
        .where(
            OutboxMessage.topic == topic,
            OutboxMessage.key == key,
            OutboxMessage.status.in_(UNDELIVERED),
        )
        .order_by(OutboxMessage.created_at)
        .execution_options(unscoped=True)
    ).all()
    return [UnreadMessage(*row) for row in rows]


def expire_unread(session: Session, message_ids: list[str]) -> int:
    """Drop the payload of undelivered messages and take them out of every queue and feed.

    Status ``expired`` (neither delivered nor retried nor in a pull feed); a replay is refused
    with ``payload_purged``. The row, its key and its attempts stay for the operator.
    """
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status.in_(UNDELIVERED))
        .values(
            payload=None,
            status=MessageStatus.EXPIRED,
            last_error=PURGED_UNREAD,
            locked_until=None,
            claim_token=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def summarize_unread(
    messages: list[tuple[str, str, dt.datetime]],
) -> list[UnreadSummary]:
    """(tenant, destination, created_at) rows → one summary per tenant and destination."""
    groups: dict[tuple[str, str], list[dt.datetime]] = {}
    for tenant, destination, created_at in messages:
        groups.setdefault((tenant, destination), []).append(created_at)
    return [
        UnreadSummary(tenant, destination, len(times), min(times))
        for (tenant, destination), times in sorted(groups.items())
    ]


def purged_unread(session: Session, tenant_id: str) -> list[UnreadSummary]:
    """What retention purged unread so far, per destination (the back office shows it)."""
    rows = session.execute(
        select(
            OutboxMessage.destination,
            func.count(),
            func.min(OutboxMessage.created_at),
        )
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.status == MessageStatus.EXPIRED,
        )
        .group_by(OutboxMessage.destination)
        .order_by(OutboxMessage.destination)
        .execution_options(unscoped=True)
    ).all()
    return [UnreadSummary(tenant_id, name, int(n), oldest) for name, n, oldest in rows]


def destinations_with_unread(
    session: Session, tenant_id: str
) -> list[tuple[Destination, UnreadSummary | None]]:
    """The tenant's destinations, each with what retention purged before it took it."""
    unread = {summary.destination: summary for summary in purged_unread(session, tenant_id)}
    return [(d, unread.get(d.name)) for d in list_destinations(session, tenant_id)]
