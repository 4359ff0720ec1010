"""Jobs for counter agents (read a card, print bytes), kept until their result is stored.

A job's PIN is never a column: it lives in the hub's memory for the job's lifetime only.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, EncryptedBytes, IdMixin, TenantOwned, TimestampMixin


class JobKind(StrEnum):
    READ_CARD = "read_card"
    PRINT = "print"


class JobStatus(StrEnum):
    AWAITING_PIN = "awaiting_pin"  # created; the resident has not entered the PIN yet
    QUEUED = "queued"  # ready; not yet handed to the agent
    SENT = "sent"  # handed to the agent, no result yet (re-sent on reconnect)
    DONE = "done"
    FAILED = "failed"


OPEN_STATUSES = (JobStatus.AWAITING_PIN, JobStatus.QUEUED, JobStatus.SENT)


class AgentJob(IdMixin, TimestampMixin, TenantOwned, Base):
    __tablename__ = "agent_jobs"
    # The tablet asks every second for its counter's job waiting for a PIN and its latest card
    # read: by counter, then status or kind, newest first (it read every job of the tenant).
    __table_args__ = (
        Index("ix_agent_jobs_device_status", "device_id", "status"),
        Index("ix_agent_jobs_counter_status_created", "counter_id", "status", "created_at"),
        Index("ix_agent_jobs_counter_kind_created", "counter_id", "kind", "created_at"),
    )

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    counter_id: Mapped[str | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    visit_id: Mapped[str | None] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    params: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="no PIN and no personal data"
    )
    data: Mapped[bytes | None] = mapped_column(
        EncryptedBytes,  # receipts carry names: encrypted like every personal column
        comment="bytes to print; dropped once printed, kept for a reprint on failure",
    )
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="ids only")
    error_code: Mapped[str | None] = mapped_column(String(48))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0, comment="times handed to the agent")
    retry_of: Mapped[str | None] = mapped_column(String(32), comment="job this one reprints")
    requested_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class AgentPin(Base):
    """A card read's PIN in custody between the tablet and the agent, on any replica.

    Sealed (AES-GCM, the settings' key, bound to the job and the expiry), kept for seconds,
    deleted when the job ends; an expired row is refused even if a backup still holds it. On
    PostgreSQL the table is UNLOGGED: not in the WAL, so not in WAL archives, point-in-time
    backups or streaming replicas (and emptied by a crash, which the resident meets as
    ``pin_lost``).
    """

    __tablename__ = "agent_pins"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("agent_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    sealed: Mapped[str] = mapped_column(Text, comment="AES-GCM; never the PIN in clear")
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class AgentLink(Base):
    """An agent's connection, on whichever replica holds it: every replica answers "online?"
    and "which kinds?" alike, and knows at once when the agent has left."""

    __tablename__ = "agent_links"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    link_id: Mapped[str] = mapped_column(String(32), comment="this connection")
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list, comment="job kinds it runs")
    connected_at: Mapped[dt.datetime] = mapped_column()
