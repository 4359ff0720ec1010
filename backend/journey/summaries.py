"""One summary row per visit (``visit_summaries``), measured from its journey events in SQL.

The report used to regroup every journey event of the period (≈3.5 million rows for a large
city's year) on each request. Each visit is now measured once, by the same GROUP BY as before
restricted to that visit, and the row is written in the transaction that changes the visit:

- with every journey event recorded (``backend.counter.service.add_event``): a GROUP BY over
  that visit's few events by its index, so an open visit counts as far as it got and events
  after the close (the back office's ``work_item.*``, a reservation's) land on the row too;
- when the retention pass purges the visit (its journey stays, so does its summary);
- by the history seeder (one INSERT … SELECT per batch) and by the migration that created the
  table (backfill of every existing visit).

The journey events a summary reads (the names other packages record; see docs/journey.md):

=========================  =================================================================
``ticket.issued/called``   wait = called − issued
``visit.opened/closed``    service = closed − opened
``visit.transferred``      with ``ticket.called`` and ``visit.opened``: counters visited
                           (``data.counter_id``)
``document.stored``        forms; ``data.prefilled_fields``: fields not handwritten
``card.read``              cards read; ``member.added`` with ``data.source == "staff"``: typed
``visit.signed``           signatures
``handed_off``             hand-offs; ``data.procedures_suggested``: procedures the guidance
                           listed, ``data.procedures_taken``: work items the back office got
``work_item.done``         back-office work items completed; the hand-off is completed when
                           all taken are done (time: first ``handed_off`` → last done)
``reservation.checked_in`` a reservation used for this visit
``reservation.no_show``    a reservation nobody came for (recorded on a visit)
``preentry.applied``          a pre-entry (事前入力) used for this visit
=========================  =================================================================
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Date,
    Insert,
    Integer,
    Select,
    TableClause,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from backend.counter.models import Visit, VisitEvent
from backend.journey.models import VisitSummary
from backend.platform.db import statement_reads

TOKYO_NAME = "Asia/Tokyo"  # UTC+9 all year (no summer time since 1951)


def _seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _local_day_and_hour(dialect: str, at: Any) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    if dialect == "postgresql":
        local = func.timezone(TOKYO_NAME, at)
        return cast(local, Date), cast(func.extract("hour", local), Integer)
    return func.date(at, "+9 hours"), cast(func.strftime("%H", at, "+9 hours"), Integer)


def _first(kind: str) -> ColumnElement[Any]:
    return func.min(case((VisitEvent.kind == kind, VisitEvent.at)))


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _number(key: str) -> ColumnElement[Any]:
    return cast(VisitEvent.data[key].as_string(), Integer)


def per_visit_select(dialect: str, where: ColumnElement[bool]) -> Select[Any]:
    """One row per visit matching ``where`` (on ``visits``), with the summary's columns."""
    issued, called = _first("ticket.issued"), _first("ticket.called")
    opened, closed = _first("visit.opened"), _first("visit.closed")
    stored = VisitEvent.kind == "document.stored"
    handed = VisitEvent.kind == "handed_off"
    done = VisitEvent.kind == "work_item.done"
    # Only the events that name a counter are read as JSON (a JSON read per row is the cost).
    moves = VisitEvent.kind.in_(("ticket.called", "visit.opened", "visit.transferred"))
    typed = (VisitEvent.kind == "member.added") & (
        VisitEvent.data["source"].as_string() == literal("staff")
    )
    grouped = (
        select(
            Visit.id.label("visit_id"),
            Visit.tenant_id.label("tenant_id"),
            Visit.event.label("event"),
            Visit.counter_id.label("counter_id"),
            Visit.created_at.label("created_at"),
            _seconds_between(dialect, called, issued).label("wait_seconds"),
            _seconds_between(dialect, closed, opened).label("service_seconds"),
            func.count(distinct(case((moves, VisitEvent.data["counter_id"].as_string())))).label(
                "counters"
            ),
            _count(stored).label("forms"),
            func.coalesce(func.sum(case((stored, _number("prefilled_fields")), else_=0)), 0).label(
                "prefilled"
            ),
            _count(VisitEvent.kind == "card.read").label("cards"),
            _count(typed).label("typed"),
            _count(VisitEvent.kind == "visit.signed").label("signatures"),
            _count(handed).label("handed_off"),
            func.coalesce(func.max(case((handed, _number("procedures_suggested")))), 0).label(
                "procedures_suggested"
            ),
            func.coalesce(func.max(case((handed, _number("procedures_taken")))), 0).label(
                "procedures_taken"
            ),
            _count(done).label("work_items_done"),
            _seconds_between(
                dialect, func.max(case((done, VisitEvent.at))), _first("handed_off")
            ).label("backoffice_span"),
            _count(VisitEvent.kind == "reservation.checked_in").label("reservations"),
            _count(VisitEvent.kind == "reservation.no_show").label("reservation_no_shows"),
            _count(VisitEvent.kind == "preentry.applied").label("preentries"),
        )
        .join(VisitEvent, VisitEvent.visit_id == Visit.id)
        .where(where)
        .group_by(Visit.id, Visit.tenant_id, Visit.event, Visit.counter_id, Visit.created_at)
        .subquery("per_visit")
    )
    day, hour = _local_day_and_hour(dialect, grouped.c.created_at)
    completed = and_(
        grouped.c.procedures_taken > 0, grouped.c.work_items_done >= grouped.c.procedures_taken
    )
    kept = [c for c in grouped.c if c.name != "backoffice_span"]
    return select(
        *kept,
        day.label("day"),
        hour.label("hour"),
        case((completed, grouped.c.backoffice_span)).label("backoffice_seconds"),
    )


COLUMNS = (
    "visit_id", "tenant_id", "event", "counter_id", "created_at", "wait_seconds",
    "service_seconds", "counters", "forms", "prefilled", "cards", "typed", "signatures",
    "handed_off", "procedures_suggested", "procedures_taken", "work_items_done", "reservations",
    "reservation_no_shows", "preentries", "day", "hour", "backoffice_seconds",
)  # fmt: skip


def write(
    connection: Connection | Session, where: ColumnElement[bool], table: TableClause | None = None
) -> None:
    """Insert the summaries of the visits matching ``where`` (which have none yet).

    ``table`` is the target (the migration passes its own frozen copy of the table)."""
    target: TableClause = VisitSummary.__table__ if table is None else table  # type: ignore[assignment]
    bind = connection if isinstance(connection, Connection) else connection.get_bind()
    dialect = bind.dialect.name
    query = per_visit_select(dialect, where)
    statement = insert(target).from_select(list(COLUMNS), query)
    connection.execute(statement, execution_options={"unscoped": True})


def refresh(session: Session, visit_ids: Sequence[str]) -> None:
    """(Re)write the summaries of ``visit_ids`` (visits with events), in the caller's
    transaction: one upsert each."""
    upsert = _upsert_statement(session.get_bind().dialect.name)
    for visit_id in visit_ids:
        session.execute(upsert, {"visit_id": visit_id})


def backfill(connection: Connection, table: TableClause) -> None:
    """Every visit without a summary yet (the migration's backfill)."""
    write(connection, Visit.id.not_in(select(table.c.visit_id)), table)


# --- once per unit of work, not once per event ----------------------------------------------
#
# A request records some twenty journey events a visit, several at a time. ``add_event`` only
# marks the visit; its summary is rewritten once, when the transaction commits — or earlier,
# when something in the same transaction reads the summaries (the report), so a read sees the
# row exactly as when it was rewritten with every event.

_STALE_KEY = "journey_stale_summaries"

MEASURED_KINDS = frozenset(
    {
        "ticket.issued", "ticket.called", "visit.opened", "visit.closed", "visit.transferred",
        "document.stored", "member.added", "card.read", "visit.signed", "handed_off",
        "work_item.done", "reservation.checked_in", "reservation.no_show", "preentry.applied",
    }
)  # fmt: skip
"""The journey events ``per_visit_select`` reads (the table above). Every visit is opened with
``visit.opened``, so each has its row from its first request."""
MEASURED_VISIT_COLUMNS = ("event", "counter_id")  # the visit's own columns on the row


def event_recorded(session: Session, visit_id: str, kind: str) -> None:
    """A journey event of ``visit_id`` is on its way to the database: the row is rewritten
    when the summary reads that kind of event. The others (``visit.updated``,
    ``visit.answered``, ``tablet.sent``, …: six of a visit's fourteen requests record only
    those) leave the row as it is — it would be rewritten identically."""
    if kind in MEASURED_KINDS:
        refresh_later(session, visit_id)


@event.listens_for(Session, "before_flush")
def _measured_columns_changed(session: Session, _context: Any, _instances: Any) -> None:
    """A visit's life event or counter changed: its row shows them, so it is rewritten."""
    for instance in session.dirty:
        if isinstance(instance, Visit) and any(
            inspect(instance).attrs[name].history.has_changes() for name in MEASURED_VISIT_COLUMNS
        ):
            refresh_later(session, instance.id)


def refresh_later(session: Session, visit_id: str) -> None:
    """Rewrite ``visit_id``'s summary before ``session`` commits or reads a summary."""
    session.info.setdefault(_STALE_KEY, {})[visit_id] = None  # a dict keeps the order


def refresh_stale(session: Session) -> None:
    """Rewrite the summaries marked by ``refresh_later`` (their events flushed first)."""
    if _STALE_KEY not in session.info and not session.dirty:
        return
    session.flush()  # first: the flush marks the visits whose measured columns changed
    stale = session.info.pop(_STALE_KEY, None)
    if stale:
        refresh(session, list(stale))


@functools.cache
def _upsert_statement(dialect: str) -> Insert:
    """A visit's summary in one statement (INSERT … SELECT … ON CONFLICT DO UPDATE), built
    once: building the measuring SELECT costs ten times more than running it on one visit's
    events. For a visit that has events (a visit without any would get no row)."""
    table: TableClause = VisitSummary.__table__  # type: ignore[assignment]
    visit_id: BindParameter[str] = bindparam("visit_id")
    # SQLite reads "ON CONFLICT" after a SELECT without WHERE as a join's ON: give it a WHERE.
    measured = per_visit_select(dialect, Visit.id == visit_id).where(true())
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(table).from_select(list(COLUMNS), measured)
    return statement.on_conflict_do_update(
        index_elements=[table.c.visit_id],
        set_={name: statement.excluded[name] for name in COLUMNS if name != "visit_id"},
    )


# insert=True: before the audit chain's write (see notifier._send_pending).
@event.listens_for(Session, "before_commit", insert=True)
def _refresh_before_commit(session: Session) -> None:
    refresh_stale(session)


@event.listens_for(Session, "do_orm_execute")
def _refresh_before_read(state: ORMExecuteState) -> None:
    if not state.is_select:
        return
    session = state.session
    pending = _STALE_KEY in session.info or session.dirty  # dirty: a visit's event may change
    if pending and _reads_summaries(state):
        refresh_stale(session)


def _reads_summaries(state: ORMExecuteState) -> bool:
    """Whether the SELECT reads ``visit_summaries`` (walked only while a summary waits to be
    rewritten)."""
    return statement_reads(state, VisitSummary)


@event.listens_for(Session, "after_soft_rollback")
def _forget_stale(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the unit of work is over, its events are gone
        session.info.pop(_STALE_KEY, None)
