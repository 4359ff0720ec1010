"""Outbox: messages written in the caller's transaction, delivered later by the worker.

``Destination`` says where a tenant's messages go (several at once); ``OutboxMessage`` is one
message of a topic, about one key, for one destination; ``DeliveryAttempt`` keeps every try,
successful or not. The outbox knows topics and keys only as strings (see ``topics.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import (
    Base,
    EncryptedJSON,
    EncryptedText,
    IdMixin,
    TenantOwned,
    TimestampMixin,
    sql_list,
    utcnow,
)


class MessageStatus:
    PENDING = "pending"  # waiting for its next attempt
    DELIVERING = "delivering"  # claimed by a worker until locked_until
    PUBLISHED = "published"  # pull destinations: in the feed, waiting for the receiver's ack
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up: an admin may replay it
    EXPIRED = "expired"  # purged unread: the retention period passed before it was delivered


class Destination(IdMixin, TimestampMixin, TenantOwned, Base):
    """Where a tenant's messages go: kind webhook, csv, amqp or pull, with its settings."""

    __tablename__ = "outbox_destinations"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), comment="webhook, csv, amqp, pull")
    enabled: Mapped[bool] = mapped_column(default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="no secrets")
    secret: Mapped[str | None] = mapped_column(EncryptedText, comment="webhook signing secret")
    max_attempts: Mapped[int] = mapped_column(default=10)
    timeout_seconds: Mapped[float] = mapped_column(default=10.0)
    backoff_base_seconds: Mapped[float] = mapped_column(default=5.0)
    backoff_max_seconds: Mapped[float] = mapped_column(default=3600.0)
    feed_cursor: Mapped[int] = mapped_column(default=0, comment="pull: last sequence published")
    acked_cursor: Mapped[int] = mapped_column(default=0, comment="pull: last sequence acked")


# The messages a worker may claim: a partial index's predicate, and a term of every claim.
CLAIMABLE = (MessageStatus.PENDING, MessageStatus.DELIVERING)
_CLAIMABLE = f"status IN ({sql_list(CLAIMABLE)})"


class OutboxMessage(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "outbox_messages"
    # A claim reads a destination's undelivered messages, oldest first. Through
    # ``ix_outbox_messages_due`` it was a bitmap scan, which never marks an index entry dead:
    # each delivered message's old entries were read again at every claim until autovacuum
    # came (300-400 blocks a claim under the load benchmark). The partial index holds only
    # the undelivered, and is walked in order.
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index(
            "ix_outbox_messages_claimable",
            "destination_id",
            "created_at",
            postgresql_where=text(_CLAIMABLE),
            sqlite_where=text(_CLAIMABLE),
        ),
        Index("ix_outbox_messages_feed", "destination_id", "feed_seq"),
        Index("ix_outbox_messages_topic_key", "topic", "key"),
    )

    topic: Mapped[str] = mapped_column(String(64), comment="e.g. handoff")
    destination: Mapped[str] = mapped_column(String(64))
    destination_id: Mapped[str | None] = mapped_column(
        ForeignKey("outbox_destinations.id", ondelete="SET NULL"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    key: Mapped[str | None] = mapped_column(
        String(64), comment="what the message is about, e.g. the visit id of a hand-off"
    )
    payload: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON, comment="purged after retention"
    )
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(comment="claim lease")
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    feed_seq: Mapped[int | None] = mapped_column(comment="pull: position in the feed")
    delivered_at: Mapped[dt.datetime | None] = mapped_column()


class DeliveryAttempt(IdMixin, TenantOwned, Base):
    __tablename__ = "delivery_attempts"

    message_id: Mapped[str] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column()
    detail: Mapped[str | None] = mapped_column(Text)
