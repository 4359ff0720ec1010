"""The worker's outbox job: claim due messages, deliver each, record every attempt.

Claiming is a short transaction of its own (no lock is held while talking to a receiver):
due rows get ``status=delivering``, a claim token and a lease (``locked_until``). PostgreSQL
picks them with ``FOR UPDATE SKIP LOCKED`` so that several workers share the work; SQLite
takes the write lock up front (``BEGIN IMMEDIATE``) and the UPDATE re-checks the due
condition, so two workers never claim the same row. A worker killed mid-delivery leaves its
rows ``delivering``; once the lease runs out they are due again (at-least-once), and the
interrupted try is written down as a failed attempt.

A message is decoded by its topic (``topics.py``) and handed to the adapter registered for its
destination's kind (``adapters.py``); the outbox itself never looks inside a payload.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.platform.audit import service as audit
from backend.platform.db import as_written, new_id, session_scope, utcnow
from backend.platform.logging_setup import mask_personal_data
from backend.platform.outbox.adapters import adapter_for
from backend.platform.outbox.models import (
    CLAIMABLE,
    DeliveryAttempt,
    Destination,
    MessageStatus,
    OutboxMessage,
)
from backend.platform.outbox.service import UNDELIVERED, backoff_delay, expire_unread
from backend.platform.outbox.topics import registered
from backend.platform.outbox.topics import topic as topic_of
from integrations.base import DeliveryResult

log = logging.getLogger(__name__)

CLAIM_BATCH = 10


@dataclass(frozen=True)
class DestinationRef:
    id: str
    kind: str
    lease_seconds: float


def _due(destination_id: str, now: object) -> ColumnElement[bool]:
    """A destination's messages to claim now (the claim's SELECT), the statuses written so that
    ``ix_outbox_messages_claimable`` serves it."""
    return and_(
        OutboxMessage.destination_id == destination_id,
        OutboxMessage.status.in_([as_written(status) for status in CLAIMABLE]),
        _still_due(now),
    )


def _still_due(now: object) -> ColumnElement[bool]:
    """Due for an attempt, or its lease expired."""
    return or_(
        and_(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == MessageStatus.DELIVERING, OutboxMessage.locked_until < now),
    )


def active_destinations() -> list[DestinationRef]:
    with session_scope(unscoped=True) as session:
        return [
            # The lease outlasts the adapter's own timeout, so a slow but live delivery is
            # not claimed twice; after a crash the row comes back within seconds.
            DestinationRef(d.id, d.kind, 2 * d.timeout_seconds + 5)
            for d in session.scalars(select(Destination).where(Destination.enabled.is_(True)))
        ]


def claim(destination: DestinationRef, limit: int = CLAIM_BATCH) -> list[tuple[str, str]]:
    """Claim up to ``limit`` due messages of a destination: [(message id, claim token)]."""
    token = new_id()
    with session_scope(unscoped=True, write=True) as session:
        now = utcnow()
        due = (
            select(OutboxMessage.id)
            .where(_due(destination.id, now))
            .order_by(OutboxMessage.created_at)
            .limit(limit)
        )
        locks_rows = session.get_bind().dialect.name == "postgresql"
        if locks_rows:
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if not ids:
            return []
        _note_interrupted(session, ids, now)
        # PostgreSQL holds the chosen rows locked: the UPDATE goes by id alone (a re-check of
        # the statuses steered it onto the partial index, walking its dead entries again).
        # SQLite locks no row: another worker may have claimed them since, so check again.
        chosen: ColumnElement[bool] = OutboxMessage.id.in_(ids)
        if not locks_rows:
            chosen = and_(chosen, _still_due(now))
        # RETURNING: the claimed rows come back with the UPDATE (claim_token has no index, and
        # reading them back by it scanned the whole table at every claim).
        claimed = set(
            session.scalars(
                update(OutboxMessage)
                .where(chosen)
                .values(
                    status=MessageStatus.DELIVERING,
                    claim_token=token,
                    locked_until=now + dt.timedelta(seconds=destination.lease_seconds),
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
        return [(message_id, token) for message_id in ids if message_id in claimed]  # oldest first


def _note_interrupted(session: Session, ids: list[str], now: object) -> None:
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.tenant_id).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status == MessageStatus.DELIVERING
        )
    )
    for message_id, tenant_id in rows:
        session.add(
            DeliveryAttempt(
                tenant_id=tenant_id,
                message_id=message_id,
                ok=False,
                detail="interrupted: the worker stopped during delivery (lease expired)",
            )
        )


def _load(message_id: str) -> tuple[str, dict[str, Any], Destination] | None:
    with session_scope(unscoped=True) as session:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.payload is None or message.destination_id is None:
            return None
        destination = session.get(Destination, message.destination_id)
        if destination is None:
            return None
        session.expunge(destination)
        return message.topic, message.payload, destination


def deliver_one(message_id: str, token: str) -> DeliveryResult:
    loaded = _load(message_id)
    if loaded is None:
        result = DeliveryResult(False, "payload or destination missing", retryable=False)
        _finish(message_id, token, result)
        return result
    topic, payload, destination = loaded
    if destination.kind == "pull":
        return _publish_to_feed(message_id, token, destination.id)
    try:
        result = adapter_for(destination).deliver(topic_of(topic).decode(payload))
    except Exception as exc:  # an adapter bug must become a recorded attempt, not a crash
        log.exception("adapter %s failed", destination.kind)
        result = DeliveryResult(False, f"adapter error: {type(exc).__name__}: {exc}")
    _finish(message_id, token, result)
    return result


def _finish(message_id: str, token: str, result: DeliveryResult) -> None:
    # A receiver's error text may echo what it was sent (a 個人番号, a phone number, a URL with a
    # query): it is stored and shown to the back office only as the log filter would show it.
    result = DeliveryResult(result.ok, mask_personal_data(result.detail), result.retryable)
    with session_scope(unscoped=True, write=True) as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            return
        session.add(
            DeliveryAttempt(
                tenant_id=message.tenant_id,
                message_id=message.id,
                ok=result.ok,
                detail=result.detail[:2000],
            )
        )
        if message.claim_token != token:
            return  # our lease ran out and another worker owns the row now; it decides
        destination = (
            session.get(Destination, message.destination_id) if message.destination_id else None
        )
        now = utcnow()
        message.claim_token = None
        message.locked_until = None
        if result.ok:
            message.status = MessageStatus.DELIVERED
            message.delivered_at = now
            message.last_error = None
            audit.record(
                session,
                tenant_id=message.tenant_id,
                action=f"{message.topic}.delivered",
                actor="worker",
                visit_id=topic_of(message.topic).audit_visit_id(message.key),
                detail={"message": message.id, "destination": message.destination_id},
            )
            return
        message.last_error = result.detail[:2000]
        max_attempts = destination.max_attempts if destination else 1
        if not result.retryable or message.attempts >= max_attempts:
            message.status = MessageStatus.DEAD
            log.warning("outbox message %s dead after %d attempt(s)", message.id, message.attempts)
            return
        assert destination is not None
        message.status = MessageStatus.PENDING
        message.next_attempt_at = now + backoff_delay(
            message.attempts,
            destination.backoff_base_seconds,
            destination.backoff_max_seconds,
            random.random(),
        )


def _publish_to_feed(message_id: str, token: str, destination_id: str) -> DeliveryResult:
    """Pull destinations: give the message the next feed position.

    The destination row is locked while the position is assigned, so positions are handed
    out in commit order: a reader that has seen position N will never later find a smaller
    one appear (which a sequence assigned at insert time could not promise).
    """
    with session_scope(unscoped=True, write=True) as session:
        destination = session.scalars(
            select(Destination).where(Destination.id == destination_id).with_for_update()
        ).one()
        message = session.get(OutboxMessage, message_id)
        if message is None or message.claim_token != token:
            return DeliveryResult(False, "claim lost")
        destination.feed_cursor += 1
        message.feed_seq = destination.feed_cursor
        message.status = MessageStatus.PUBLISHED
        message.claim_token = None
        message.locked_until = None
        result = DeliveryResult(True, f"published to the pull feed at cursor {message.feed_seq}")
        session.add(
            DeliveryAttempt(
                tenant_id=message.tenant_id, message_id=message.id, ok=True, detail=result.detail
            )
        )
        return result


def deliver_due() -> int:
    """One round over every enabled destination; returns how many messages were handled."""
    handled = 0
    for destination in active_destinations():
        for message_id, token in claim(destination):
            deliver_one(message_id, token)
            handled += 1
    return handled


PURGE_EVERY_SECONDS = 300.0
_last_purge = 0.0


def purge_delivered_payloads(force: bool = False) -> int:
    """Drop the payload of delivered messages once their topic's retention has passed.

    The row, its key and its attempts stay (the audit trail); only the payload goes, so a
    replay after that is refused with ``payload_purged``. A message still undelivered that long
    after it was written is purged unread (status ``expired``). Runs at most every few minutes.
    """
    global _last_purge
    if not force and time.monotonic() - _last_purge < PURGE_EVERY_SECONDS:
        return 0
    _last_purge = time.monotonic()
    purged = 0
    with session_scope(unscoped=True, write=True) as session:
        now = utcnow()
        for topic in registered():
            if topic.retention is None:
                continue
            for tenant_id, keep in topic.retention(session):
                purged += _purge(session, topic.name, tenant_id, now - keep)
                purged += _expire_unread(session, topic.name, tenant_id, now - keep)
    if purged:
        log.info("purged the payload of %d delivered message(s)", purged)
    return purged


def _purge(session: Session, topic: str, tenant_id: str, delivered_before: dt.datetime) -> int:
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.topic == topic,
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.status == MessageStatus.DELIVERED,
            OutboxMessage.delivered_at < delivered_before,
            OutboxMessage.payload.is_not(None),
        )
        .values(payload=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _expire_unread(
    session: Session, topic: str, tenant_id: str, created_before: dt.datetime
) -> int:
    """A message nobody took within its topic's retention is purged unread (``expired``):
    retention does not wait for a receiver that may never come."""
    stale = session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.topic == topic,
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.status.in_(UNDELIVERED),
            OutboxMessage.created_at < created_before,
        )
    ).all()
    return expire_unread(session, list(stale))


def _purge_job() -> int:
    purge_delivered_payloads()
    return 0  # housekeeping never keeps the worker from sleeping


JOBS = [deliver_due, _purge_job]
