"""Live figures ("after") from the visits' journey events, for one tenant and a date range.

The heavy part is SQL: one GROUP BY over ``visit_events`` turns every visit's events into one
row (its wait and service in seconds, counters, forms, fields prefilled, cards, signatures…),
the same statement on SQLite and PostgreSQL. Percentiles are not portable SQL (PostgreSQL has
``percentile_cont``, SQLite has nothing), so the per-visit rows come back in one query and the
grouping (per event, counter, hour, day) and percentiles are done here in one pass.
Purged visits keep their events (backend/counter/retention.py), so they are counted too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, case, cast, distinct, func, literal, select
from sqlalchemy.orm import Session

from backend.counter.models import Visit, VisitEvent
from backend.journey.figures import minutes, percentile, rounded
from backend.queue.models import Ticket, TicketStatus

TOKYO = ZoneInfo("Asia/Tokyo")


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of local (Tokyo) midnight on ``start`` and after ``end`` (inclusive)."""
    first = dt.datetime.combine(start, dt.time(), TOKYO).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), TOKYO).astimezone(dt.UTC)
    return first, after


def _seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _first(kind: str) -> ColumnElement[Any]:
    return func.min(case((VisitEvent.kind == kind, VisitEvent.at)))


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def per_visit_query(dialect: str, tenant_id: str, start: dt.datetime, end: dt.datetime) -> Any:
    """One row per visit opened in [start, end): its journey measured from its events."""
    issued, called = _first("ticket.issued"), _first("ticket.called")
    opened, closed = _first("visit.opened"), _first("visit.closed")
    stored = VisitEvent.kind == "document.stored"
    # Only the events that name a counter are read as JSON (a JSON read per row is the cost).
    moves = VisitEvent.kind.in_(("ticket.called", "visit.opened", "visit.transferred"))
    prefilled = cast(VisitEvent.data["prefilled_fields"].as_string(), Integer)
    typed = (VisitEvent.kind == "member.added") & (
        VisitEvent.data["source"].as_string() == literal("staff")
    )
    return (
        select(
            Visit.event,
            Visit.counter_id,
            Visit.created_at,
            _seconds_between(dialect, called, issued).label("wait"),
            _seconds_between(dialect, closed, opened).label("service"),
            func.count(distinct(case((moves, VisitEvent.data["counter_id"].as_string())))).label(
                "counters"
            ),
            _count(stored).label("forms"),
            func.coalesce(func.sum(case((stored, prefilled), else_=0)), 0).label("prefilled"),
            _count(VisitEvent.kind == "card.read").label("cards"),
            _count(typed).label("typed"),
            _count(VisitEvent.kind == "visit.signed").label("signatures"),
            _count(VisitEvent.kind == "handed_off").label("handed_off"),
        )
        .join(VisitEvent, VisitEvent.visit_id == Visit.id)
        .where(Visit.tenant_id == tenant_id, Visit.created_at >= start, Visit.created_at < end)
        .group_by(Visit.id, Visit.event, Visit.counter_id, Visit.created_at)
        .execution_options(unscoped=True)  # filtered by tenant_id explicitly above
    )


COUNTED = ("visits", "counters", "forms", "prefilled", "cards", "typed", "signatures", "handed_off")


@dataclass
class Group:
    """The per-visit rows of one group (an event, a counter, an hour…), added up."""

    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    sums: list[int] = field(default_factory=lambda: [0] * len(COUNTED))

    def add(self, wait: float | None, service: float | None, counts: tuple[int, ...]) -> None:
        if wait is not None:
            self.waits.append(wait)
        if service is not None:
            self.services.append(service)
        self.sums = [total + count for total, count in zip(self.sums, counts, strict=True)]

    @property
    def visits(self) -> int:
        return self.sums[0]

    def _per_visit(self, total: int) -> float | None:
        return total / self.visits if self.visits else None

    def figures(self) -> dict[str, Any]:
        waits, services = sorted(self.waits), sorted(self.services)
        _, counters, forms, prefilled, cards, typed, signatures, handed_off = self.sums
        return {
            "visits": self.visits,
            "wait_minutes": {
                "median": minutes(percentile(waits, 0.5)),
                "p90": minutes(percentile(waits, 0.9)),
            },
            "service_minutes": {
                "median": minutes(percentile(services, 0.5)),
                "p90": minutes(percentile(services, 0.9)),
            },
            "counters_per_visit": rounded(self._per_visit(counters)),
            "forms": forms,
            "fields_prefilled": prefilled,
            "fields_prefilled_per_visit": rounded(self._per_visit(prefilled)),
            "cards_read": cards,
            "members_typed": typed,
            "signatures": signatures,
            "handed_off": handed_off,
        }


def live_figures(session: Session, tenant_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Per event, per counter, per hour of day (Tokyo) and per day: the measured figures."""
    first, after = day_bounds(start, end)
    dialect = session.get_bind().dialect.name
    by_event: dict[str, Group] = defaultdict(Group)
    by_counter: dict[str, Group] = defaultdict(Group)
    by_hour: dict[int, Group] = defaultdict(Group)
    by_day: dict[dt.date, Group] = defaultdict(Group)
    total = Group()
    rows = session.execute(per_visit_query(dialect, tenant_id, first, after)).tuples()
    for event, counter_id, created_at, wait, service, *counted in rows:
        local = created_at.astimezone(TOKYO)
        counts = (1, *(int(value or 0) for value in counted))
        wait = None if wait is None else float(wait)
        service = None if service is None else float(service)
        for group in (
            total,
            by_event[event or "unknown"],
            by_counter[counter_id or "none"],
            by_hour[local.hour],
            by_day[local.date()],
        ):
            group.add(wait, service, counts)
    return {
        "total": total.figures(),
        "events": {event: group.figures() for event, group in sorted(by_event.items())},
        "counters": {key: group.figures() for key, group in sorted(by_counter.items())},
        "hours": {hour: group.figures() for hour, group in sorted(by_hour.items())},
        "days": {day.isoformat(): group.figures() for day, group in sorted(by_day.items())},
        "no_shows": no_shows(session, tenant_id, first, after),
    }


def no_shows(session: Session, tenant_id: str, first: dt.datetime, after: dt.datetime) -> int:
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
