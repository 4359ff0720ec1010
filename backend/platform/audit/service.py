"""Append an audit event to the tenant's hash chain.

hash = SHA-256(prev_hash ‖ canonical JSON of the event's fields); the first event of a tenant
chains from 64 zeros. Callers record views, prints, exports, hand-offs, logins and changes of
configuration; details never carry personal data (ids only).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.platform.audit.models import AuditEvent
from backend.platform.db import new_id, utcnow

GENESIS = "0" * 64


def event_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def chained_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "tenant_id": event.tenant_id,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "device": event.device,
        "action": event.action,
        "visit_id": event.visit_id,
        "detail": event.detail,
    }


def record(
    session: Session,
    *,
    tenant_id: str,
    action: str,
    actor: str | None = None,
    device: str | None = None,
    visit_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the tenant's chain, in the caller's transaction.

    The event is written with the session's next flush (any later query in the transaction
    flushes first, so it sees the event; the commit flushes the rest): the events of one flush
    are chained there together, in the order recorded — one lock of the chain, one read of its
    last hash, one INSERT (``_chain_pending``). ``seq``, ``prev_hash`` and ``hash`` are set then.
    """
    now = utcnow()
    event = AuditEvent(
        id=new_id(),
        tenant_id=tenant_id,
        # Milliseconds only, so the chained ISO text is the same on SQLite and PostgreSQL.
        at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        actor=actor,
        device=device,
        action=action,
        visit_id=visit_id,
        detail=detail or {},
        hash="",
    )
    session.add(event)
    session.info.setdefault(_PENDING_KEY, []).append(event)
    if session.info.get("tenant_id") is None:
        # An unscoped unit (a seeder, the CLI, the worker) may write for several tenants in
        # turn, and a flush after it scopes itself refuses another tenant's rows: write now.
        session.flush()
    return event


_PENDING_KEY = "audit_pending"


@orm_event.listens_for(Session, "before_flush")
def _chain_pending(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Give the events recorded since the last flush their place in their tenant's chain."""
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    by_tenant: dict[str, list[AuditEvent]] = {}
    for audit_event in pending:
        if audit_event in session.new:  # not expunged, nor dropped by a savepoint's rollback
            by_tenant.setdefault(audit_event.tenant_id, []).append(audit_event)
    with session.no_autoflush:
        for tenant_id, chain in by_tenant.items():
            seq, prev_hash = _chain_end(session, tenant_id)
            for audit_event in chain:
                seq += 1
                audit_event.seq, audit_event.prev_hash = seq, prev_hash
                audit_event.hash = prev_hash = event_digest(prev_hash, chained_fields(audit_event))


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the unit of work is over, its events are gone
        session.info.pop(_PENDING_KEY, None)


def _chain_end(session: Session, tenant_id: str) -> tuple[int, str]:
    """The last seq and hash of the tenant's chain (0 and GENESIS when empty), locked until
    the transaction ends."""
    _lock_chain(session, tenant_id)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.tenant_id == tenant_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
        .execution_options(unscoped=True)
    ).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def count(session: Session, tenant_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.tenant_id == tenant_id)
            .execution_options(unscoped=True)
        )
        or 0
    )


def _lock_chain(session: Session, tenant_id: str) -> None:
    """Serialise appends to one tenant's chain until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock keyed by the tenant (two concurrent requests
    would otherwise read the same last seq; the unique (tenant_id, seq) would then fail one of
    them). SQLite: writers are already serialised by the database lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"audit:{tenant_id}"},
        )


def events(session: Session, tenant_id: str) -> Iterator[AuditEvent]:
    """The tenant's chain in seq order, streamed."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id)
        .order_by(AuditEvent.seq)
        .execution_options(unscoped=True, yield_per=500)
    )
    yield from session.scalars(statement)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(chain: Iterable[AuditEvent]) -> tuple[int, ChainBreak | None]:
    """Walk a chain in seq order: (events checked, first break or None).

    A changed event no longer hashes to its ``hash``; a removed one leaves a gap in seq or a
    ``prev_hash`` that does not match; a reordered one fails both.
    """
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for event in chain:
        if event.seq != expected_seq:
            return checked, ChainBreak(expected_seq, f"seq {expected_seq} missing")
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(event.seq, "prev_hash does not match the previous event")
        if event_digest(prev_hash, chained_fields(event)) != event.hash:
            return checked, ChainBreak(event.seq, "content does not match its hash")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return checked, None


EXPORT_FIELDS = ("seq", "at", "actor", "device", "action", "visit_id", "detail", "prev_hash",
                 "hash")  # fmt: skip


def export_row(event: AuditEvent) -> dict[str, Any]:
    row = chained_fields(event)
    row["prev_hash"], row["hash"] = event.prev_hash, event.hash
    return row


def export_jsonl(chain: Iterable[AuditEvent]) -> Iterator[str]:
    """One JSON object per line, with everything needed to re-verify the chain offline."""
    for event in chain:
        yield json.dumps(export_row(event), ensure_ascii=False, sort_keys=True) + "\n"


def export_csv(chain: Iterable[AuditEvent]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["tenant_id", *EXPORT_FIELDS])
    writer.writeheader()
    for event in chain:
        row = export_row(event)
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
