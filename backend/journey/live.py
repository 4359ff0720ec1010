"""Live figures ("after") from the visits' summary rows, for one tenant and a date range.

Each visit is measured once from its journey events into a ``visit_summaries`` row
(``backend/journey/summaries.py``); here the rows are added up in SQL per grouping (all,
event, counter, hour of day, day), so the database returns one row per group and Python only
arranges them. Purged visits keep their events and their summary.

Percentiles (linear interpolation between the closest ranks, PERCENTILE.INC), in the same
GROUP BY as the sums:
- PostgreSQL: one statement for every grouping (``GROUP BY GROUPING SETS``, one scan), each
  measure's median and 90th percentile from one sort, ``percentile_cont(ARRAY[0.5, 0.9])
  WITHIN GROUP (ORDER BY …)``;
- SQLite (no ordered-set aggregates, no grouping sets): one statement per grouping with
  ``journey_percentiles(…)``, an aggregate registered on the connection that keeps the group's
  values and sorts them once (exact, as on PostgreSQL). A window query (``row_number() OVER
  (PARTITION BY … ORDER BY …)``) was tried first: SQLite's window machinery was 3–4× slower.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, Select, case, func, literal, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from backend.journey.figures import minutes, percentile, rounded
from backend.journey.models import VisitSummary
from backend.queue.models import Ticket, TicketStatus
from backend.residents.models import Reservation, ReservationSlot, ReservationStatus

TOKYO = ZoneInfo("Asia/Tokyo")
S = VisitSummary
FRACTIONS = (Fraction(1, 2), Fraction(9, 10))
# The measures whose median and 90th percentile are reported (seconds).
MEASURES = ("wait_seconds", "service_seconds", "backoffice_seconds")
SUMMED = (
    "counters", "forms", "prefilled", "cards", "typed", "signatures", "handed_off",
    "procedures_suggested", "procedures_taken", "work_items_done", "reservations",
    "reservation_no_shows", "preentries",
)  # fmt: skip
# The groupings: name → the column that keys it (None: everything in one group).
GROUPINGS: dict[str, Any] = {
    "total": None,
    "events": S.event,
    "counters": S.counter_id,
    "hours": S.hour,
    "days": S.day,
}


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of local (Tokyo) midnight on ``start`` and after ``end`` (inclusive)."""
    first = dt.datetime.combine(start, dt.time(), TOKYO).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), TOKYO).astimezone(dt.UTC)
    return first, after


def _in_period(tenant_id: str, start: dt.date, end: dt.date) -> ColumnElement[bool]:
    return (S.tenant_id == tenant_id) & (S.day >= start) & (S.day <= end)


def _key(column: Any) -> ColumnElement[Any]:
    return literal(0).label("key") if column is None else column.label("key")


def _sums() -> list[Any]:
    return [
        func.count().label("visits"),
        *(func.coalesce(func.sum(getattr(S, name)), 0).label(name) for name in SUMMED),
        func.count(S.backoffice_seconds).label("handoffs_completed"),
        func.sum(case((S.handed_off > 0, 1), else_=0)).label("visits_handed_off"),
    ]


def sqlite_query(column: Any, where: ColumnElement[bool]) -> Select[Any]:
    """SQLite, one grouping: visits, the sums, hand-offs completed and the percentiles."""
    measured = (getattr(S, measure) for measure in MEASURES)
    columns = [
        _key(column),
        *_sums(),
        func.journey_percentiles(*measured).label("percentiles"),
    ]
    query = select(*columns).where(where).execution_options(unscoped=True)
    return query if column is None else query.group_by(column)


# GROUPING(event, counter_id, hour, day): a bit set for each column a row is not grouped by.
GROUPING_BITS = {"total": 0b1111, "events": 0b0111, "counters": 0b1011, "hours": 0b1101,
                 "days": 0b1110}  # fmt: skip
KEYED = (S.event, S.counter_id, S.hour, S.day)


def postgresql_query(where: ColumnElement[bool]) -> Select[Any]:
    """PostgreSQL, every grouping in one scan (GROUPING SETS), each measure's median and 90th
    percentile from one sort (``percentile_cont(ARRAY[0.5, 0.9])``)."""
    fractions = postgresql.array([float(f) for f in FRACTIONS])
    columns = [
        *(column.label(column.key) for column in KEYED),
        func.grouping(*KEYED).label("grouping"),
        *_sums(),
        *(
            func.percentile_cont(fractions, type_=postgresql.ARRAY(Float))
            .within_group(getattr(S, measure))
            .label(measure)
            for measure in MEASURES
        ),
    ]
    sets = func.grouping_sets(text("()"), *KEYED)
    return select(*columns).where(where).group_by(sets).execution_options(unscoped=True)


def _split_postgresql_percentiles(row: dict[str, Any]) -> None:
    for measure in MEASURES:
        values = row.pop(measure) or [None] * len(FRACTIONS)
        for fraction, value in zip(FRACTIONS, values, strict=True):
            row[f"{measure}_{fraction.numerator}"] = value


class _SqlitePercentiles:
    """SQLite's aggregate ``journey_percentiles(wait, service, backoffice)``: PERCENTILE.INC at
    0.5 and 0.9 of each measure's non-null values in the group, exact, as text ("-" for none).
    SQLite has no ordered-set aggregate (its percentile extension is not in Python's build);
    the GROUP BY stays in SQL: the values are kept as SQLite scans the group and sorted once at
    the group's end. One aggregate for the three measures: a third of the calls of three."""

    def __init__(self) -> None:
        self.values: tuple[list[float], ...] = tuple([] for _ in MEASURES)

    def step(self, *values: float | None) -> None:
        for kept, value in zip(self.values, values, strict=True):
            if value is not None:
                kept.append(value)

    def finalize(self) -> str:
        out = []
        for kept in self.values:
            kept.sort()
            for fraction in FRACTIONS:
                value = percentile(kept, float(fraction))
                out.append("-" if value is None else repr(value))
        return " ".join(out)


def _register_sqlite_percentiles(session: Session) -> None:
    """Add ``journey_percentiles`` to this session's SQLite connection (a few microseconds)."""
    raw = session.connection().connection.dbapi_connection
    raw.create_aggregate(  # type: ignore[union-attr]
        "journey_percentiles", len(MEASURES), _SqlitePercentiles
    )


def _split_sqlite_percentiles(row: dict[str, Any]) -> None:
    # NULL when no row matched: Python's sqlite3 never calls finalize for an aggregate whose
    # step never ran (the whole period empty, e.g. a new municipality's first day).
    found = row.pop("percentiles")
    values = iter(found.split() if found is not None else ["-"] * len(MEASURES) * len(FRACTIONS))
    for measure in MEASURES:
        for fraction in FRACTIONS:
            value = next(values)
            row[f"{measure}_{fraction.numerator}"] = None if value == "-" else float(value)


def _pair(row: dict[str, Any], measure: str) -> dict[str, float | None]:
    def at(numerator: int) -> float | None:
        value = row.get(f"{measure}_{numerator}")
        return None if value is None else float(value)

    return {"median": at(1), "p90": at(9)}


def _minutes_pair(row: dict[str, Any], measure: str) -> dict[str, float | None]:
    return {name: minutes(value) for name, value in _pair(row, measure).items()}


def _hours_pair(row: dict[str, Any], measure: str) -> dict[str, float | None]:
    return {
        name: None if value is None else round(value / 3600, 1)
        for name, value in _pair(row, measure).items()
    }


def figures_of(row: dict[str, Any]) -> dict[str, Any]:
    """One group's figures, from its row of sums and percentiles."""
    visits = int(row["visits"])

    def per_visit(total: int) -> float | None:
        return rounded(total / visits) if visits else None

    n = {name: int(row[name] or 0) for name in SUMMED}
    return {
        "visits": visits,
        "wait_minutes": _minutes_pair(row, "wait_seconds"),
        "service_minutes": _minutes_pair(row, "service_seconds"),
        "counters_per_visit": per_visit(n["counters"]),
        "forms": n["forms"],
        "fields_prefilled": n["prefilled"],
        "fields_prefilled_per_visit": per_visit(n["prefilled"]),
        "cards_read": n["cards"],
        "members_typed": n["typed"],
        "signatures": n["signatures"],
        "handed_off": n["handed_off"],
        "procedures_suggested": n["procedures_suggested"],
        "procedures_taken": n["procedures_taken"],
        "backoffice": {
            "visits_handed_off": int(row["visits_handed_off"] or 0),
            "handoffs_completed": int(row["handoffs_completed"] or 0),
            "work_items_done": n["work_items_done"],
            "hours_to_complete": _hours_pair(row, "backoffice_seconds"),
        },
        "reservations_checked_in": n["reservations"],
        "reservation_no_shows": n["reservation_no_shows"],
        "preentries_used": n["preentries"],
    }


KEYS: dict[str, Callable[[Any], Any]] = {
    "total": lambda key: key,
    "events": lambda key: key or "unknown",
    "counters": lambda key: key or "none",
    "hours": int,
    "days": lambda key: key.isoformat() if isinstance(key, dt.date) else str(key),
}


def _arranged(rows: dict[str, list[dict[str, Any]]]) -> dict[str, dict[Any, Any]]:
    out: dict[str, dict[Any, Any]] = {}
    for name, column in GROUPINGS.items():
        keyed = {
            KEYS[name](0 if column is None else row[column.key]): figures_of(row)
            for row in rows.get(name, [])
            if row["visits"]
        }
        out[name] = dict(sorted(keyed.items()))
    return out


def live_figures(session: Session, tenant_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Per event, per counter, per hour of day (Tokyo) and per day: the measured figures."""
    dialect = session.get_bind().dialect.name
    where = _in_period(tenant_id, start, end)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in GROUPINGS}
    if dialect == "postgresql":
        by_bits = {bits: name for name, bits in GROUPING_BITS.items()}
        for found in session.execute(postgresql_query(where)).mappings():
            row = dict(found)
            _split_postgresql_percentiles(row)
            rows[by_bits[row["grouping"]]].append(row)
    else:
        _register_sqlite_percentiles(session)
        for name, column in GROUPINGS.items():
            for found in session.execute(sqlite_query(column, where)).mappings():
                row = dict(found)
                _split_sqlite_percentiles(row)
                if column is not None:
                    row[column.key] = row["key"]
                rows[name].append(row)
    figures = _arranged(rows)
    total = figures.pop("total")
    first, after = day_bounds(start, end)
    overall = total.get(0) or figures_of({"visits": 0, **dict.fromkeys(SUMMED, 0)} | EMPTY)
    # A reservation is checked in at the ticket machine, before any visit exists, and a
    # no-show never has one: the period's reservations are counted where they are kept.
    checked_in, not_come = reservations_kept(session, tenant_id, first, after)
    overall["reservations_checked_in"] = max(overall["reservations_checked_in"], checked_in)
    overall["reservation_no_shows"] = max(overall["reservation_no_shows"], not_come)
    return {"total": overall, **figures, "no_shows": no_shows(session, tenant_id, first, after)}


def reservations_kept(
    session: Session, tenant_id: str, first: dt.datetime, after: dt.datetime
) -> tuple[int, int]:
    """Reservations (来庁予約) of slots in the period: (checked in, no-shows)."""
    query = (
        select(
            func.count().filter(Reservation.status == ReservationStatus.CHECKED_IN.value),
            func.count().filter(Reservation.status == ReservationStatus.NO_SHOW.value),
        )
        .select_from(Reservation)
        .join(ReservationSlot, ReservationSlot.id == Reservation.slot_id)
        .where(
            Reservation.tenant_id == tenant_id,
            ReservationSlot.starts_at >= first,
            ReservationSlot.starts_at < after,
        )
        .execution_options(unscoped=True)
    )
    checked_in, not_come = session.execute(query).one()
    return int(checked_in or 0), int(not_come or 0)


EMPTY = {"handoffs_completed": 0, "visits_handed_off": 0}


def no_shows(session: Session, tenant_id: str, first: dt.datetime, after: dt.datetime) -> int:
    """Tickets issued and called in the period whose holder never came (呼出不在)."""
    query = (
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.tenant_id == tenant_id,
            Ticket.status == TicketStatus.NO_SHOW.value,
            Ticket.issued_at >= first,
            Ticket.issued_at < after,
        )
        .execution_options(unscoped=True)
    )
    return int(session.scalar(query) or 0)
