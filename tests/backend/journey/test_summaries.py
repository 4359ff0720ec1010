"""The summary rows against the journey events they summarize.

Property: on random small histories (synthetic purged visits as the seeder writes them, visits
driven through ``add_event`` with events after their close, visits around local midnight), the
report computed from ``visit_summaries`` in SQL equals the figures worked out here in plain
Python from the raw journey events; and the migration's backfill writes the same rows as the
live path (open, close, later events).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.counter.models import Visit, VisitEvent
from backend.identity.tenants.models import Counter, Tenant
from backend.journey import history, summaries
from backend.journey.figures import percentile, rounded
from backend.journey.live import TOKYO, day_bounds, live_figures
from backend.journey.models import VisitSummary
from backend.seed import seed_demo
from tests.helpers.sql import statements

DAYS = [dt.date(2026, 3, 30), dt.date(2026, 3, 31), dt.date(2026, 4, 1)]
KINDS_LATER = (
    "work_item.done",
    "reservation.checked_in",
    "preentry.applied",
    "reservation.no_show",
)


def _live_visit(db: Session, tenant: Tenant, rng: random.Random, opened: dt.datetime) -> None:
    """A visit through the counter's own ``add_event``: opened, events, closed, events after."""
    counters = ["c1", "c2", "c3"]
    visit = Visit(
        tenant_id=tenant.id,
        event=rng.choice(["moving-in", "certificate", None]),
        status="open",
        facts={},
        certificates=[],
        counter_id=None,
    )
    visit.created_at = opened
    db.add(visit)
    db.flush()
    if rng.random() < 0.8:
        issued = opened - dt.timedelta(minutes=rng.uniform(0, 60))
        visits.add_event(db, visit, "ticket.issued", {}, at=issued)
        called = {"counter_id": rng.choice(counters)}
        visits.add_event(db, visit, "ticket.called", called, at=opened)
    visits.add_event(db, visit, "visit.opened", {"counter_id": rng.choice(counters)}, at=opened)
    moment = opened
    for _ in range(rng.randrange(0, 6)):
        moment += dt.timedelta(minutes=rng.uniform(0, 5))
        kind = rng.choice(["card.read", "member.added", "document.stored", "visit.signed",
                           "visit.transferred"])  # fmt: skip
        data: dict[str, Any] = {
            "member.added": {"source": rng.choice(["card", "staff"])},
            "document.stored": {"prefilled_fields": rng.randrange(0, 30)},
            "visit.transferred": {"counter_id": rng.choice(counters)},
        }.get(kind, {})
        visits.add_event(db, visit, kind, data, at=moment)
    if rng.random() < 0.5:  # the row does not measure these: it is rewritten only when needed
        visits.add_event(db, visit, rng.choice(["tablet.sent", "visit.answered"]), {}, at=moment)
    if rng.random() < 0.4:  # a PATCH: the life event changes, recorded as visit.updated only
        visit.event = rng.choice(["moving-out", "birth", "death"])
        visits.add_event(db, visit, "visit.updated", {"fields": ["event"]}, at=moment)
    if rng.random() < 0.2:  # the counter changes with no event at all
        visit.counter_id = db.scalars(
            select(Counter.id).where(Counter.tenant_id == tenant.id)
        ).first()
    if rng.random() < 0.85:
        taken = rng.randrange(0, 4)
        handed = {"procedures_suggested": taken + rng.randrange(0, 2), "procedures_taken": taken}
        visits.add_event(db, visit, "handed_off", handed, at=moment)
        visit.closed_at = moment + dt.timedelta(seconds=5)
        visit.status = "closed"
        visits.add_event(db, visit, "visit.closed", {}, at=visit.closed_at)
        for _ in range(rng.randrange(0, 5)):
            later = visit.closed_at + dt.timedelta(hours=rng.uniform(0, 30))
            visits.add_event(db, visit, rng.choice(KINDS_LATER), {}, at=later)


def random_history(db: Session, seed: int) -> Tenant:
    rng = random.Random(seed)
    tenant = seed_demo(db)
    office = history.demo_office(db, tenant.id)
    days = [day for day in DAYS if rng.random() < 0.8] or DAYS[:1]
    purged = [v for v in history.generate(office, days, per_day=rng.randrange(3, 12), seed=seed)]
    if purged:
        history._flush(db, [v for v, _ in purged], [e for _, es in purged for e in es])
    for _ in range(rng.randrange(5, 15)):
        local = dt.datetime.combine(rng.choice(DAYS), dt.time(), TOKYO)
        # Around the clock, midnight included: the local day and hour are Tokyo's.
        opened = (local + dt.timedelta(minutes=rng.randrange(0, 24 * 60))).astimezone(dt.UTC)
        _live_visit(db, tenant, rng, opened)
    db.flush()
    return tenant


# --- the reference: plain Python over the raw events ---------------------------------------


def _first(events: list[VisitEvent], kind: str) -> dt.datetime | None:
    return min((e.at for e in events if e.kind == kind), default=None)


def _seconds(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    return None if later is None or earlier is None else (later - earlier).total_seconds()


def measured(events: list[VisitEvent]) -> dict[str, Any]:
    """One visit's figures, as docs/journey.md defines them from its journey events."""

    def count(kind: str) -> int:
        return sum(1 for e in events if e.kind == kind)

    handed = [e for e in events if e.kind == "handed_off"]
    taken = max((int(e.data.get("procedures_taken", 0)) for e in handed), default=0)
    done = [e.at for e in events if e.kind == "work_item.done"]
    moves = {"ticket.called", "visit.opened", "visit.transferred"}
    stored = [e for e in events if e.kind == "document.stored"]
    completed = taken > 0 and len(done) >= taken
    return {
        "wait": _seconds(_first(events, "ticket.called"), _first(events, "ticket.issued")),
        "service": _seconds(_first(events, "visit.closed"), _first(events, "visit.opened")),
        "backoffice": _seconds(max(done), _first(events, "handed_off")) if completed else None,
        "completed": 1 if completed else 0,
        "handed_visit": 1 if handed else 0,
        "counters": len({e.data.get("counter_id") for e in events if e.kind in moves} - {None}),
        "forms": len(stored),
        "prefilled": sum(int(e.data.get("prefilled_fields", 0)) for e in stored),
        "cards": count("card.read"),
        "typed": sum(
            1 for e in events if e.kind == "member.added" and e.data.get("source") == "staff"
        ),
        "signatures": count("visit.signed"),
        "handed_off": len(handed),
        "suggested": max((int(e.data.get("procedures_suggested", 0)) for e in handed), default=0),
        "taken": taken,
        "done": len(done),
        "reservations": count("reservation.checked_in"),
        "no_shows": count("reservation.no_show"),
        "preentries": count("preentry.applied"),
    }


def _pair(values: list[float], scale: float) -> dict[str, float | None]:
    ordered = sorted(values)
    out = {}
    for name, fraction in (("median", 0.5), ("p90", 0.9)):
        value = percentile(ordered, fraction)
        out[name] = None if value is None else round(value / scale, 1)
    return out


def reference_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def total(key: str) -> int:
        return sum(int(row[key]) for row in rows)

    n = len(rows)
    return {
        "visits": n,
        "wait_minutes": _pair([r["wait"] for r in rows if r["wait"] is not None], 60),
        "service_minutes": _pair([r["service"] for r in rows if r["service"] is not None], 60),
        "counters_per_visit": rounded(total("counters") / n),
        "forms": total("forms"),
        "fields_prefilled": total("prefilled"),
        "fields_prefilled_per_visit": rounded(total("prefilled") / n),
        "cards_read": total("cards"),
        "members_typed": total("typed"),
        "signatures": total("signatures"),
        "handed_off": total("handed_off"),
        "procedures_suggested": total("suggested"),
        "procedures_taken": total("taken"),
        "backoffice": {
            "visits_handed_off": total("handed_visit"),
            "handoffs_completed": total("completed"),
            "work_items_done": total("done"),
            "hours_to_complete": _pair(
                [r["backoffice"] for r in rows if r["backoffice"] is not None], 3600
            ),
        },
        "reservations_checked_in": total("reservations"),
        "reservation_no_shows": total("no_shows"),
        "preentries_used": total("preentries"),
    }


def reference(db: Session, tenant_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    first, after = day_bounds(start, end)
    query = select(Visit).where(
        Visit.tenant_id == tenant_id, Visit.created_at >= first, Visit.created_at < after
    )
    by_visit: dict[str, list[VisitEvent]] = defaultdict(list)
    for event in db.scalars(select(VisitEvent).execution_options(unscoped=True)):
        by_visit[event.visit_id].append(event)
    groups: dict[str, dict[Any, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for visit in db.scalars(query.execution_options(unscoped=True)):
        events = by_visit.get(visit.id)
        if not events:  # no journey, nothing to measure (as the SQL's join)
            continue
        row = measured(events)
        local = visit.created_at.astimezone(TOKYO)
        for name, key in (
            ("total", 0),
            ("events", visit.event or "unknown"),
            ("counters", visit.counter_id or "none"),
            ("hours", local.hour),
            ("days", local.date().isoformat()),
        ):
            groups[name][key].append(row)
    return {
        name: {key: reference_figures(rows) for key, rows in sorted(by_key.items())}
        for name, by_key in groups.items()
    }


def assert_close(actual: Any, expected: Any, where: str) -> None:
    """Equal, but minutes and hours may differ in their last (rounded) digit: PostgreSQL's
    percentile_cont and the reference round the same interpolation at the 0.1 boundary."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), where
        for key in expected:
            assert_close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, float) and actual is not None:
        assert actual == pytest.approx(expected, abs=0.1 + 1e-9), where
    else:
        assert actual == expected, where


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8, 13])
def test_summaries_give_the_event_based_figures(db: Session, seed: int) -> None:
    tenant = random_history(db, seed)
    db.info["tenant_id"] = tenant.id
    start, end = DAYS[0], DAYS[-1]
    live = live_figures(db, tenant.id, start, end)
    expected = reference(db, tenant.id, start, end)
    assert_close(live["total"], expected["total"][0], "total")
    for name in ("events", "counters", "hours", "days"):
        assert_close(live[name], expected[name], name)
    # One day of the three: the range is by local (Tokyo) day.
    one = live_figures(db, tenant.id, DAYS[1], DAYS[1])
    only = {day: f for day, f in expected["days"].items() if day == "2026-03-31"}
    assert_close(one["days"], only, "one day")


def _summary_rows(db: Session) -> list[tuple[Any, ...]]:
    query = select(VisitSummary.__table__).order_by(VisitSummary.visit_id)
    return [tuple(row) for row in db.execute(query.execution_options(unscoped=True))]


def test_backfill_writes_what_the_live_path_wrote(db: Session) -> None:
    random_history(db, 4)
    written = _summary_rows(db)
    assert written
    db.execute(delete(VisitSummary))
    summaries.backfill(db.connection(), VisitSummary.__table__)
    assert _summary_rows(db) == written


def test_an_event_after_the_close_updates_the_summary(db: Session) -> None:
    tenant = seed_demo(db)
    db.info["tenant_id"] = tenant.id
    opened = dt.datetime(2026, 3, 31, 1, 0, tzinfo=dt.UTC)
    visit = Visit(tenant_id=tenant.id, event="birth", status="open", facts={}, certificates=[])
    visit.created_at = opened
    db.add(visit)
    db.flush()
    visits.add_event(db, visit, "visit.opened", {}, at=opened)
    visits.add_event(db, visit, "handed_off", {"procedures_taken": 1}, at=opened)
    visit.closed_at = opened + dt.timedelta(minutes=10)
    visits.add_event(db, visit, "visit.closed", {}, at=visit.closed_at)
    row = db.get(VisitSummary, visit.id)
    assert row is not None and (row.work_items_done, row.backoffice_seconds) == (0, None)
    visits.add_event(db, visit, "work_item.done", {}, at=opened + dt.timedelta(hours=2))
    db.expire_all()
    row = db.get(VisitSummary, visit.id)
    assert row is not None and row.work_items_done == 1
    assert row.backoffice_seconds == pytest.approx(7200)  # SQLite's julianday: to 0.1 ms
    assert (row.day, row.hour) == (dt.date(2026, 3, 31), 10)
    assert row.service_seconds == pytest.approx(600)


def _opened_visit(db: Session) -> Visit:
    tenant = seed_demo(db)
    db.info["tenant_id"] = tenant.id
    visit = Visit(tenant_id=tenant.id, event="birth", status="open", facts={}, certificates=[])
    db.add(visit)
    db.flush()
    visits.add_event(db, visit, "visit.opened", {})
    assert _summary_event(db, visit) == "birth"
    return visit


def _summary_event(db: Session, visit: Visit) -> str | None:
    db.flush()  # before expire_all, which would drop a change not yet flushed
    db.expire_all()
    return db.scalars(select(VisitSummary.event).where(VisitSummary.visit_id == visit.id)).one()


def test_an_event_the_row_does_not_measure_leaves_it_alone(db: Session) -> None:
    visit = _opened_visit(db)
    with statements(db) as sent:
        visits.add_event(db, visit, "visit.answered", {})
        summaries.refresh_stale(db)  # what the commit runs
    assert [s for s in sent if "visit_summaries" in s] == []
    with statements(db) as sent:
        visits.add_event(db, visit, "card.read", {})
        summaries.refresh_stale(db)
    assert len([s for s in sent if "INSERT INTO visit_summaries" in s]) == 1


def test_a_changed_life_event_or_counter_rewrites_the_row(db: Session) -> None:
    visit = _opened_visit(db)
    visit.event = "death"  # a PATCH: recorded only as visit.updated, which the row does not read
    visits.add_event(db, visit, "visit.updated", {"fields": ["event"]})
    assert _summary_event(db, visit) == "death"
    counter = db.scalars(select(Counter).where(Counter.tenant_id == visit.tenant_id)).first()
    assert counter is not None
    visit.counter_id = counter.id  # no event at all
    summaries.refresh_stale(db)
    row = db.get(VisitSummary, visit.id)
    assert row is not None and row.counter_id == counter.id
