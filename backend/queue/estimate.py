"""Waiting-time estimate per ticket — one pure function shared by the live system and the
simulation (``backend/queue/simulation.py``), so that what the benchmark measures is what
residents see.

Method (docs/queue.md): the expected service time of each queue is the mean of its recent
services shrunk towards the queue's configured default; then the counters that are open are
played forward with the same rule as "call next" (each free counter takes the oldest eligible
ticket of the queues it serves, priority first). The moment a ticket would be taken is its
estimated wait. This accounts for the counters serving each queue, counters shared between
queues, priority tickets and the time left on tickets being served now.

Times are minutes as floats on any common clock (the live adapter uses minutes before ``now``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

RECENT_SERVICES = 12  # how many recent services of a queue the mean looks at
PRIOR_WEIGHT = 3.0  # the configured default counts like this many observed services
MIN_REMAINING_FRACTION = 0.25  # a ticket already overdue still needs a little time


@dataclass(frozen=True)
class QueueStats:
    queue_id: str
    default_minutes: float
    recent_minutes: Sequence[float] = ()  # most recent last


@dataclass(frozen=True)
class CounterState:
    counter_id: str
    queue_ids: frozenset[str]
    is_open: bool = True
    busy_queue_id: str | None = None  # queue of the ticket called/served now
    busy_since: float | None = None  # when it was called


@dataclass(frozen=True)
class WaitingTicket:
    ticket_id: str
    queue_id: str
    issued_at: float
    priority: bool = False
    number: int = 0


@dataclass(frozen=True)
class QueueSnapshot:
    now: float
    queues: dict[str, QueueStats]
    counters: Sequence[CounterState]
    waiting: Sequence[WaitingTicket]


def expected_service_minutes(stats: QueueStats) -> float:
    """Recent mean shrunk to the default: stable early in the day, adaptive later."""
    recent = list(stats.recent_minutes)[-RECENT_SERVICES:]
    total = sum(recent) + PRIOR_WEIGHT * stats.default_minutes
    return total / (len(recent) + PRIOR_WEIGHT)


def call_order(tickets: Iterable[WaitingTicket]) -> list[WaitingTicket]:
    """The order "call next" uses: priority first, then oldest issue time."""
    return sorted(tickets, key=lambda t: (not t.priority, t.issued_at, t.number, t.ticket_id))


def estimate_waits(snapshot: QueueSnapshot) -> dict[str, float]:
    """Estimated minutes from ``now`` until each waiting ticket is called."""
    service = {qid: expected_service_minutes(stats) for qid, stats in snapshot.queues.items()}
    pending = call_order(snapshot.waiting)
    estimates: dict[str, float] = {}
    free_at = _counters_free_at(snapshot, service)
    while free_at and pending:
        moment, counter_id = heapq.heappop(free_at)
        counter = _counter_by_id(snapshot.counters, counter_id)
        index = next((i for i, t in enumerate(pending) if t.queue_id in counter.queue_ids), None)
        if index is None:
            continue  # nothing this counter may serve: it leaves the play
        ticket = pending.pop(index)
        estimates[ticket.ticket_id] = moment - snapshot.now
        heapq.heappush(free_at, (moment + service.get(ticket.queue_id, 10.0), counter_id))
    estimates.update(_fallback_without_counters(snapshot, pending, service))
    return estimates


def _counters_free_at(
    snapshot: QueueSnapshot, service: dict[str, float]
) -> list[tuple[float, str]]:
    heap: list[tuple[float, str]] = []
    for counter in snapshot.counters:
        if not counter.is_open:
            continue
        moment = snapshot.now
        if counter.busy_queue_id is not None and counter.busy_since is not None:
            expected = service.get(counter.busy_queue_id, 10.0)
            elapsed = snapshot.now - counter.busy_since
            moment += max(expected - elapsed, MIN_REMAINING_FRACTION * expected)
        heap.append((moment, counter.counter_id))
    heapq.heapify(heap)
    return heap


def _counter_by_id(counters: Sequence[CounterState], counter_id: str) -> CounterState:
    return next(c for c in counters if c.counter_id == counter_id)


def _fallback_without_counters(
    snapshot: QueueSnapshot, left: list[WaitingTicket], service: dict[str, float]
) -> dict[str, float]:
    """No open counter serves these queues now: assume their configured counters reopen."""
    estimates: dict[str, float] = {}
    position: dict[str, int] = {}
    for ticket in left:
        configured = sum(1 for c in snapshot.counters if ticket.queue_id in c.queue_ids) or 1
        position[ticket.queue_id] = position.get(ticket.queue_id, 0) + 1
        minutes = service.get(ticket.queue_id, 10.0)
        estimates[ticket.ticket_id] = (position[ticket.queue_id] - 1) * minutes / configured
    return estimates


def estimate_for_new_ticket(snapshot: QueueSnapshot, queue_id: str) -> float:
    """What a resident taking a ticket for ``queue_id`` now would be told."""
    probe = WaitingTicket(ticket_id="__probe__", queue_id=queue_id, issued_at=snapshot.now + 1e-6)
    with_probe = QueueSnapshot(
        now=snapshot.now,
        queues=snapshot.queues,
        counters=snapshot.counters,
        waiting=[*snapshot.waiting, probe],
    )
    return estimate_waits(with_probe)["__probe__"]


def naive_estimate(people_ahead: int, average_minutes: float) -> float:
    """The baseline the benchmark compares with: people ahead × a fixed average service time."""
    return people_ahead * average_minutes
