"""A seeded discrete-event simulation of one office day, to measure the waiting-time estimate.

Arrivals vary over the day (morning and early-afternoon peaks), counters open late, take staggered
lunch breaks and serve several queues, service times are log-normal around true means that differ
from the configured defaults. At each ticket's issue the simulation asks the SAME estimator the
live system uses (``backend.queue.estimate``) and the naive baseline (people ahead × a fixed
average service time); when the ticket is called, both errors are known.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Any

from backend.queue.estimate import (
    CounterState,
    QueueSnapshot,
    QueueStats,
    WaitingTicket,
    call_order,
    estimate_waits,
    expected_service_minutes,
    naive_estimate,
)

DAY_OPEN = 0.0  # 08:30
ISSUE_UNTIL = 480.0  # 16:30
SERVICE_CV = 0.55


@dataclass(frozen=True)
class SimQueue:
    queue_id: str
    default_minutes: float
    arrivals_per_hour: float


@dataclass(frozen=True)
class SimCounter:
    counter_id: str
    queue_ids: frozenset[str]


# The demo office: the same queues and counters as ``backend/seed.py``.
QUEUES = (
    SimQueue("A", 20.0, 5.0),
    SimQueue("B", 6.0, 11.0),
    SimQueue("C", 12.0, 4.0),
)
COUNTERS = (
    SimCounter("1", frozenset({"A", "B"})),
    SimCounter("2", frozenset({"A", "B"})),
    SimCounter("3", frozenset({"B"})),
    SimCounter("5", frozenset({"C"})),
    SimCounter("6", frozenset({"C", "A"})),
)


def arrival_profile(minute: float) -> float:
    """Relative arrival intensity: a peak after opening and another after lunch."""
    hour = minute / 60.0
    return 0.5 + 1.1 * math.exp(-((hour - 1.2) ** 2) / 0.8) + 0.8 * math.exp(-((hour - 5.0) ** 2))


@dataclass
class _Ticket:
    ticket_id: str
    queue_id: str
    issued_at: float
    priority: bool
    number: int
    estimate: float = 0.0
    naive: float = 0.0
    per_counter: float = 0.0
    called_at: float | None = None


@dataclass
class _Counter:
    spec: SimCounter
    is_open: bool = False
    on_break: bool = False
    busy_with: _Ticket | None = None
    busy_since: float = 0.0


@dataclass
class _Day:
    rng: random.Random
    true_minutes: dict[str, float]
    counters: dict[str, _Counter]
    waiting: list[_Ticket] = field(default_factory=list)
    recent: dict[str, list[float]] = field(default_factory=dict)
    served: list[_Ticket] = field(default_factory=list)
    events: list[tuple[float, int, str, str]] = field(default_factory=list)
    sequence: int = 0

    def schedule(self, moment: float, kind: str, subject: str) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (moment, self.sequence, kind, subject))


def simulate_day(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    day = _Day(
        rng=rng,
        true_minutes={q.queue_id: q.default_minutes * rng.uniform(0.7, 1.5) for q in QUEUES},
        counters={c.counter_id: _Counter(c) for c in COUNTERS},
    )
    _schedule_arrivals(day)
    _schedule_staffing(day)
    while day.events:
        moment, _, kind, subject = heapq.heappop(day.events)
        _HANDLERS[kind](day, moment, subject)
    return _summary(seed, day)


def _schedule_arrivals(day: _Day) -> None:
    peak = 1.6  # thinning bound for arrival_profile
    for queue in QUEUES:
        rate = queue.arrivals_per_hour * day.rng.uniform(0.85, 1.2) / 60.0
        moment = DAY_OPEN
        while True:
            moment += day.rng.expovariate(rate * peak)
            if moment >= ISSUE_UNTIL:
                break
            if day.rng.random() < arrival_profile(moment) / peak:
                day.schedule(moment, "arrive", queue.queue_id)


def _schedule_staffing(day: _Day) -> None:
    for index, counter_id in enumerate(day.counters):
        opens = DAY_OPEN + (day.rng.choice([0.0, 0.0, 30.0, 60.0]) if index else 0.0)
        day.schedule(opens, "open", counter_id)
        lunch = 180.0 + day.rng.uniform(0, 120)  # 11:30–13:30
        day.schedule(lunch, "close", counter_id)
        day.schedule(lunch + day.rng.choice([45.0, 60.0]), "open", counter_id)
        if day.rng.random() < 0.4:  # a meeting or a back-office task mid-afternoon
            away = 330.0 + day.rng.uniform(0, 90)
            day.schedule(away, "close", counter_id)
            day.schedule(away + day.rng.uniform(20, 60), "open", counter_id)


def _arrive(day: _Day, moment: float, queue_id: str) -> None:
    number = sum(1 for t in day.waiting + day.served if t.queue_id == queue_id) + 1
    ticket = _Ticket(
        ticket_id=f"{queue_id}-{number:03d}-{moment:.3f}",
        queue_id=queue_id,
        issued_at=moment,
        priority=day.rng.random() < 0.05,
        number=number,
    )
    snapshot = _snapshot(day, moment, extra=ticket)
    ticket.estimate = estimate_waits(snapshot)[ticket.ticket_id]
    ahead = sum(1 for t in day.waiting if t.queue_id == queue_id)
    ticket.naive = naive_estimate(ahead, _naive_average_minutes())
    open_counters = sum(
        1 for c in day.counters.values() if c.is_open and queue_id in c.spec.queue_ids
    )
    recent = expected_service_minutes(snapshot.queues[queue_id])
    ticket.per_counter = ahead * recent / max(open_counters, 1)
    day.waiting.append(ticket)
    _dispatch_idle_counters(day, moment)


def _open(day: _Day, moment: float, counter_id: str) -> None:
    counter = day.counters[counter_id]
    counter.is_open, counter.on_break = True, False
    if counter.busy_with is None:
        _call_next(day, counter, moment)


def _close(day: _Day, moment: float, counter_id: str) -> None:
    counter = day.counters[counter_id]
    counter.is_open, counter.on_break = False, True


def _finish(day: _Day, moment: float, counter_id: str) -> None:
    counter = day.counters[counter_id]
    ticket = counter.busy_with
    assert ticket is not None
    day.recent.setdefault(ticket.queue_id, []).append(moment - counter.busy_since)
    counter.busy_with = None
    if counter.is_open:
        _call_next(day, counter, moment)


def _dispatch_idle_counters(day: _Day, moment: float) -> None:
    for counter in day.counters.values():
        if counter.is_open and counter.busy_with is None:
            _call_next(day, counter, moment)


def _call_next(day: _Day, counter: _Counter, moment: float) -> None:
    eligible = [t for t in day.waiting if t.queue_id in counter.spec.queue_ids]
    if not eligible:
        return
    order = call_order(_as_waiting(t) for t in eligible)
    ticket = next(t for t in eligible if t.ticket_id == order[0].ticket_id)
    day.waiting.remove(ticket)
    ticket.called_at = moment
    day.served.append(ticket)
    counter.busy_with, counter.busy_since = ticket, moment
    mean = day.true_minutes[ticket.queue_id]
    sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
    duration = day.rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)
    day.schedule(moment + duration, "finish", counter.spec.counter_id)


_HANDLERS = {"arrive": _arrive, "open": _open, "close": _close, "finish": _finish}


def _as_waiting(ticket: _Ticket) -> WaitingTicket:
    return WaitingTicket(
        ticket_id=ticket.ticket_id,
        queue_id=ticket.queue_id,
        issued_at=ticket.issued_at,
        priority=ticket.priority,
        number=ticket.number,
    )


def _snapshot(day: _Day, moment: float, extra: _Ticket) -> QueueSnapshot:
    queues = {
        q.queue_id: QueueStats(q.queue_id, q.default_minutes, tuple(day.recent.get(q.queue_id, ())))
        for q in QUEUES
    }
    counters = [
        CounterState(
            counter_id=c.spec.counter_id,
            queue_ids=c.spec.queue_ids,
            is_open=c.is_open,
            busy_queue_id=c.busy_with.queue_id if c.busy_with else None,
            busy_since=c.busy_since if c.busy_with else None,
        )
        for c in day.counters.values()
    ]
    waiting = [_as_waiting(t) for t in [*day.waiting, extra]]
    return QueueSnapshot(now=moment, queues=queues, counters=counters, waiting=waiting)


def _naive_average_minutes() -> float:
    return sum(q.default_minutes for q in QUEUES) / len(QUEUES)


def _summary(seed: int, day: _Day) -> dict[str, Any]:
    tickets = day.served
    actual = [(t.called_at or t.issued_at) - t.issued_at for t in tickets]

    def mae(values: list[float]) -> float:
        return sum(abs(v - a) for v, a in zip(values, actual, strict=True)) / len(tickets)

    mae_estimate = mae([t.estimate for t in tickets])
    mae_naive = mae([t.naive for t in tickets])
    return {
        "seed": seed,
        "tickets": len(tickets),
        "mean_wait_minutes": round(sum(actual) / len(actual), 2),
        "max_wait_minutes": round(max(actual), 2),
        "mae_estimate_minutes": round(mae_estimate, 2),
        "mae_naive_minutes": round(mae_naive, 2),
        "mae_per_counter_formula_minutes": round(mae([t.per_counter for t in tickets]), 2),
        "naive_average_minutes": round(_naive_average_minutes(), 2),
        "ratio": round(mae_estimate / mae_naive, 3),
        "target_ratio": 0.75,
        "meets_target": mae_estimate / mae_naive <= 0.75,
    }
