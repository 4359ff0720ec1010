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

from sqlalchemy import TextClause, func, insert, select, text
from sqlalchemy import event as orm_event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from backend.platform.audit.models import AuditEvent, audit_pending
from backend.platform.db import OtherTenantsData, new_id, statement_reads, utcnow

GENESIS = "0" * 64


def event_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(fields)).encode("utf-8")).hexdigest()


def _canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_BEFORE_SEQ = ("action", "actor", "at", "detail", "device")  # the chained keys, sorted
_AFTER_SEQ = ("tenant_id", "visit_id")


def canonical_around_seq(fields: dict[str, Any]) -> tuple[str, str]:
    """An event's canonical JSON (its ``chained_fields``) without the seq: the text before the
    number and after it (PostgreSQL's ``audit_append`` puts the seq between them and hashes
    the whole)."""
    before = _canonical({key: fields[key] for key in _BEFORE_SEQ})
    after = _canonical({key: fields[key] for key in _AFTER_SEQ})
    return before[:-1] + ',"seq":', "," + after[1:]


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

    The chain is appended to at the commit (``write_pending``): appends to a tenant's chain are
    serialised by a lock held until the transaction ends. On PostgreSQL the lock is taken inside
    the COMMIT (a deferred trigger), so it is held for no round trip at all (at 64 counters on
    two processes ≈30 requests waited on it when it was taken at the first flush, 1.2 when it
    was taken just before the COMMIT; issue 17). A read of the audit chain in the same
    transaction writes the pending events first, so it sees them. ``seq``, ``prev_hash`` and
    ``hash`` are set on the returned event on SQLite only; read the chain for them.
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
    scope = session.info.get("tenant_id")
    if scope not in (None, tenant_id):
        raise OtherTenantsData()  # as the flush refuses any other row of another tenant
    if not session.in_transaction():
        session.begin()  # the event belongs to this unit: its rollback forgets it
    recorded_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING_KEY, []).append(_Pending(event, recorded_in))
    if scope is None:
        # A unit not scoped to a tenant (a seeder, the CLI, the worker, a request before its
        # caller is known) may write for several tenants in turn: write it now.
        write_pending(session)
    return event


_PENDING_KEY = "audit_pending"


@dataclass(frozen=True)
class _Pending:
    event: AuditEvent
    recorded_in: SessionTransaction | None  # the (nested) transaction it was recorded in


def write_pending(session: Session) -> None:
    """Append the events recorded in this transaction to their tenants' chains, in the order
    recorded: per tenant one INSERT into ``audit_pending`` on PostgreSQL (chained inside the
    COMMIT, see ``_queue_on_postgres``), one read and one INSERT on SQLite.

    Everything else the session holds is flushed first, under the session's own tenant; each
    tenant's events are then flushed under that tenant (they were recorded while the session
    was scoped to it; a unit that moved on to another tenant since still writes them).
    """
    pending: list[_Pending] | None = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    by_tenant: dict[str, list[AuditEvent]] = {}
    for item in pending:
        by_tenant.setdefault(item.event.tenant_id, []).append(item.event)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        for tenant_id, chain in by_tenant.items():
            _queue_on_postgres(session, tenant_id, chain)
        return
    scope = session.info.get("tenant_id")
    try:
        for tenant_id, chain in by_tenant.items():
            session.info["tenant_id"] = tenant_id
            seq, prev_hash = _chain_end(session, tenant_id)
            for audit_event in chain:
                seq += 1
                audit_event.seq, audit_event.prev_hash = seq, prev_hash
                audit_event.hash = prev_hash = event_digest(prev_hash, chained_fields(audit_event))
            session.add_all(chain)
            session.flush()
    finally:
        session.info["tenant_id"] = scope


_CHAINED_AT_COMMIT = "audit_pending_chained"  # the deferred trigger (its migration)
# The session queued rows in audit_pending that may not be chained yet. Kept past the end of
# the session's transaction: a session joined to an outer one (a test's) commits a savepoint,
# and its queued rows wait for the outer COMMIT. A stale mark costs one SET CONSTRAINTS pair.
_QUEUED_KEY = "audit_queued"


def _queue_on_postgres(session: Session, tenant_id: str, chain: list[AuditEvent]) -> None:
    """Hand the events to ``audit_pending``, whose trigger, deferred to the COMMIT, takes the
    chain's lock, reads its end, hashes and inserts them (``audit_append``): the lock is held
    inside the COMMIT only, never while this process (busy, waiting for its GIL) makes another
    round trip. ``seq``, ``prev_hash`` and ``hash`` are the database's: read the chain for them."""
    events = []
    for audit_event in chain:
        fields = chained_fields(audit_event)  # its tenant_id and seq (None) go unread
        before_seq, after_seq = canonical_around_seq(fields)
        events.append({**fields, "id": audit_event.id, "before_seq": before_seq,
                       "after_seq": after_seq})  # fmt: skip
    row = {"id": chain[0].id, "tenant_id": tenant_id,
           "events": json.dumps(events, ensure_ascii=False)}  # fmt: skip
    session.execute(insert(audit_pending), row, execution_options={"unscoped": True})
    session.info[_QUEUED_KEY] = True


def _chain_queued_now(session: Session) -> None:
    """Run the deferred trigger now for what this transaction queued (a read of the chain in
    the same transaction sees it), then defer it again for what comes after."""
    if session.info.pop(_QUEUED_KEY, False):
        session.execute(text(f"SET CONSTRAINTS {_CHAINED_AT_COMMIT} IMMEDIATE"))
        session.execute(text(f"SET CONSTRAINTS {_CHAINED_AT_COMMIT} DEFERRED"))


@orm_event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    if session.info.get(_PENDING_KEY) and not session.in_nested_transaction():
        write_pending(session)


@orm_event.listens_for(Session, "do_orm_execute")
def _write_before_reading_the_chain(state: ORMExecuteState) -> None:
    """A read of audit events in the transaction that recorded some sees them."""
    session = state.session
    if (session.info.get(_PENDING_KEY) or session.info.get(_QUEUED_KEY)) and _reads_audit_events(
        state
    ):
        write_pending(session)
        _chain_queued_now(session)


def _reads_audit_events(state: ORMExecuteState) -> bool:
    """An ORM query of ``AuditEvent``, a Core SELECT of its table, or SQL text that names it."""
    statement = state.statement
    if isinstance(statement, TextClause):  # SQL written out: a test's, a tool's
        return "audit_events" in statement.text
    return bool(state.is_select or state.all_mappers) and statement_reads(state, AuditEvent)


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Events recorded in a savepoint that rolled back (or in one inside it) are not written."""
    pending: list[_Pending] | None = session.info.get(_PENDING_KEY)
    if pending and previous_transaction.parent is not None:
        session.info[_PENDING_KEY] = [
            p for p in pending if not _within(p.recorded_in, previous_transaction)
        ]


@orm_event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """The unit of work is over: what it did not write (it rolled back or was closed) is gone."""
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _chain_end(session: Session, tenant_id: str) -> tuple[int, str]:
    """The last seq and hash of the tenant's chain (0 and GENESIS when empty). SQLite only:
    its writers are serialised by the database's own lock (PostgreSQL: ``audit_append``)."""
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
