"""What screens read: waiting counts, estimates, the last calls, one ticket's status.

Builds the estimator's snapshot from the database (``backend.queue.estimate`` does the maths).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, replace

from sqlalchemy import CompoundSelect, bindparam, select, union_all
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Counter
from backend.platform.db import utcnow
from backend.queue.estimate import (
    RECENT_SERVICES,
    CounterState,
    QueueSnapshot,
    QueueStats,
    WaitingTicket,
    call_order,
    estimate_for_new_ticket,
    estimate_waits,
)
from backend.queue.models import (
    ACTIVE_AT_COUNTER,
    WAITING_STATUSES,
    Queue,
    Ticket,
    TicketStatus,
    counter_queues,
)
from backend.queue.service import office_queues, service_day, tenant_zone


def _minutes_before(now: dt.datetime, moment: dt.datetime) -> float:
    """The estimator's clock: minutes, with ``now`` at 0."""
    return -(now - moment).total_seconds() / 60.0


def _recent_service_minutes(
    session: Session, queue_ids: list[str], day: dt.date
) -> dict[str, tuple[float, ...]]:
    """Each queue's last ``RECENT_SERVICES`` services of ``day`` in minutes, oldest first: one
    statement for all the queues, one ``LIMIT``ed select per queue read backwards on
    ``ix_tickets_queue_day_status_finished``, so its cost does not grow with the day's tickets
    (a window over the day's services read all of them: 10 ms at 9 834)."""
    if not queue_ids:
        return {}
    ordered = sorted(set(queue_ids))
    params: dict[str, object] = {f"queue_{i}": queue_id for i, queue_id in enumerate(ordered)}
    statement = _recent_services_statement(len(ordered))
    # A union keeps no order: each queue's services are sorted here, oldest first.
    rows = sorted(session.execute(statement, {**params, "day": day}).all(), key=lambda r: r[2])
    durations: dict[str, list[float]] = {}
    for queue_id, called, done in rows:
        durations.setdefault(queue_id, []).append((done - called).total_seconds() / 60.0)
    return {queue_id: tuple(minutes) for queue_id, minutes in durations.items()}


@functools.cache
def _recent_services_statement(queue_count: int) -> CompoundSelect:
    """The statement for ``queue_count`` queues, built once: built for each ticket issued and
    each board poll, it cost more than the database took to answer it (2 ms a visit)."""
    per_queue = [
        select(Ticket.queue_id, Ticket.called_at, Ticket.finished_at)
        .where(
            Ticket.queue_id == bindparam(f"queue_{i}"),
            Ticket.service_day == bindparam("day"),
            Ticket.status == TicketStatus.DONE.value,
            Ticket.finished_at.is_not(None),
            Ticket.called_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(RECENT_SERVICES)
        .subquery()
        .select()
        for i in range(queue_count)
    ]
    return union_all(*per_queue)


@dataclass(frozen=True, slots=True)
class CounterSeat:
    """A counter as the queue screens use it: its columns, not its ORM row. The office view is
    read for every ticket issued and every board, machine and phone poll; at 64 counters,
    building 64 ``Counter`` and a hundred ``Ticket`` objects was 6 ms of each ticket (issue 17)."""

    id: str
    code: str
    name: str
    floor: str | None
    is_open: bool


@dataclass(frozen=True, slots=True)
class TicketLine:
    """A waiting ticket, or one at a counter, as the office view uses it (see ``CounterSeat``)."""

    id: str
    queue_id: str
    status: str
    counter_id: str | None
    number: int
    priority: bool
    issued_at: dt.datetime
    called_at: dt.datetime | None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketLine:
        return cls(
            ticket.id,
            ticket.queue_id,
            ticket.status,
            ticket.counter_id,
            ticket.number,
            ticket.priority,
            ticket.issued_at,
            ticket.called_at,
        )


@dataclass(frozen=True)
class OfficeView:
    now: dt.datetime
    day: dt.date
    queues: list[Queue]
    counters: list[CounterSeat]
    waiting: list[TicketLine]
    snapshot: QueueSnapshot

    def estimates(self) -> dict[str, float]:
        return estimate_waits(self.snapshot)

    def estimate_new(self, queue_id: str) -> float:
        return estimate_for_new_ticket(self.snapshot, queue_id)

    def people_ahead(self, ticket: Ticket) -> int:
        """Tickets of the same queue that will be called before this one."""
        same_queue = [
            _as_waiting(t, self.now) for t in self.waiting if t.queue_id == ticket.queue_id
        ]
        order = [t.ticket_id for t in call_order(same_queue)]
        return order.index(ticket.id) if ticket.id in order else 0

    def with_issued(self, ticket: Ticket) -> OfficeView:
        """This view with ``ticket``, issued after it was read, among the waiting."""
        issued = TicketLine.of(ticket)
        return replace(
            self,
            waiting=[*self.waiting, issued],
            snapshot=replace(
                self.snapshot, waiting=[*self.snapshot.waiting, _as_waiting(issued, self.now)]
            ),
        )

    def waiting_count(self, queue_id: str) -> int:
        return sum(1 for t in self.waiting if t.queue_id == queue_id)


def _as_waiting(ticket: TicketLine, now: dt.datetime) -> WaitingTicket:
    return WaitingTicket(
        ticket_id=ticket.id,
        queue_id=ticket.queue_id,
        issued_at=_minutes_before(now, ticket.issued_at),
        priority=ticket.priority,
        number=ticket.number,
    )


def office_view(session: Session, office_id: str, now: dt.datetime | None = None) -> OfficeView:
    now = now or utcnow()
    queues = office_queues(session, office_id)
    tenant_id = queues[0].tenant_id if queues else session.info.get("tenant_id") or ""
    day = service_day(now, tenant_zone(session, tenant_id))
    # Columns, not entities: still ORM statements, so the tenant's criteria apply.
    counters, served = _counters_and_queues(session, office_id)
    tickets = [
        TicketLine(*row)
        for row in session.execute(
            select(
                Ticket.id,
                Ticket.queue_id,
                Ticket.status,
                Ticket.counter_id,
                Ticket.number,
                Ticket.priority,
                Ticket.issued_at,
                Ticket.called_at,
            ).where(
                Ticket.office_id == office_id,
                Ticket.service_day == day,
                Ticket.status.in_([*WAITING_STATUSES, *ACTIVE_AT_COUNTER]),
            )
        )
    ]
    waiting = [t for t in tickets if t.status in WAITING_STATUSES]
    busy = {t.counter_id: t for t in tickets if t.status in ACTIVE_AT_COUNTER and t.counter_id}
    active_queue_ids = {q.id for q in queues}
    recent = _recent_service_minutes(session, [q.id for q in queues], day)
    snapshot = QueueSnapshot(
        now=0.0,
        queues={
            q.id: QueueStats(q.id, q.default_service_minutes, recent.get(q.id, ())) for q in queues
        },
        counters=[
            _counter_state(c, served.get(c.id, set()) & active_queue_ids, busy, now)
            for c in counters
        ],
        waiting=[_as_waiting(t, now) for t in waiting],
    )
    return OfficeView(now, day, queues, counters, waiting, snapshot)


def _counters_and_queues(
    session: Session, office_id: str
) -> tuple[list[CounterSeat], dict[str, set[str]]]:
    """The office's counters, and the queues each serves (counter id → queue ids): one
    statement, a row per counter and queue."""
    counters: list[CounterSeat] = []
    served: dict[str, set[str]] = {}
    for counter_id, code, name, floor, is_open, queue_id in session.execute(
        select(
            Counter.id,
            Counter.code,
            Counter.name,
            Counter.floor,
            Counter.is_open,
            counter_queues.c.queue_id,
        )
        .outerjoin(counter_queues, counter_queues.c.counter_id == Counter.id)
        .where(Counter.office_id == office_id)
        .order_by(Counter.code, Counter.id)
    ):
        if not counters or counters[-1].id != counter_id:
            counters.append(CounterSeat(counter_id, code, name, floor, is_open))
        if queue_id is not None:
            served.setdefault(counter_id, set()).add(queue_id)
    return counters, served


def _counter_state(
    counter: CounterSeat, queue_ids: set[str], busy: dict[str, TicketLine], now: dt.datetime
) -> CounterState:
    ticket = busy.get(counter.id)
    called = ticket.called_at if ticket else None
    return CounterState(
        counter_id=counter.id,
        queue_ids=frozenset(queue_ids),
        is_open=counter.is_open,
        busy_queue_id=ticket.queue_id if ticket else None,
        busy_since=_minutes_before(now, called) if called else None,
    )


def round_minutes(minutes: float | None) -> int | None:
    """Residents are told whole 5 minutes (never 0 when someone is ahead)."""
    if minutes is None:
        return None
    if minutes <= 0.5:
        return 0
    return max(5, math.ceil(minutes / 5.0) * 5)


def recent_calls(session: Session, office_id: str, day: dt.date, limit: int = 8) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.office_id == office_id,
                Ticket.service_day == day,
                Ticket.called_at.is_not(None),
                Ticket.status.in_([*ACTIVE_AT_COUNTER, TicketStatus.DONE.value]),
            )
            .order_by(Ticket.called_at.desc())
            .limit(limit)
        )
    )
