"""Synthetic history for the demo and the benchmark: past visits as the retention leaves them.

Visits older than the retention period are purged: the visit row keeps its event, times and
counter, its journey events stay, and no personal data is left. History is therefore written
directly as such purged visits with their journey events (bulk inserts: a month takes well under
a second, where driving the real counter flow would take minutes). Nobody is named.

The shape follows a city hall: weekdays 8:30–17:15, a morning peak and a lunch dip, March and
April two to three times busier (人事異動・進学), certificates about half of all visits, and
some foreign residents (about one in ten), who more often have a member typed by staff.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.counter.models import Visit, VisitEvent
from backend.identity.tenants.models import Counter
from backend.journey import summaries
from backend.journey.baseline import add_survey, list_surveys
from backend.journey.live import TOKYO, day_bounds
from backend.journey.schemas import SurveyWrite
from backend.platform.db import new_id

# Share of arrivals per local hour (8:30–17:15).
HOURLY_ARRIVALS = {8: 6, 9: 16, 10: 17, 11: 13, 12: 7, 13: 11, 14: 11, 15: 10, 16: 9}
# (share of visits, median service minutes, forms, counters usually visited)
EVENT_MIX: dict[str, tuple[float, float, int, int]] = {
    "certificate": (46, 5, 1, 1),
    "moving-in": (15, 24, 5, 2),
    "moving-out": (11, 14, 3, 1),
    "moving-within": (8, 15, 3, 1),
    "birth": (6, 20, 4, 2),
    "death": (5, 35, 7, 2),
    "marriage": (4, 12, 2, 1),
    "divorce": (2, 18, 3, 2),
    "household-change": (3, 10, 2, 1),
}
SEASON = {3: 2.6, 4: 2.2, 5: 1.1, 12: 0.9}  # month → busier or quieter than usual


@dataclass(frozen=True)
class Office:
    tenant_id: str
    office_id: str | None
    counter_ids: tuple[str, ...]


def visits_on(day: dt.date, per_day: int, rng: random.Random) -> int:
    if day.weekday() >= 5:
        return 0
    return max(0, round(per_day * SEASON.get(day.month, 1.0) * rng.uniform(0.8, 1.2)))


def _arrival(day: dt.date, rng: random.Random) -> dt.datetime:
    hour = rng.choices(list(HOURLY_ARRIVALS), weights=list(HOURLY_ARRIVALS.values()))[0]
    minute = rng.randrange(30, 60) if hour == 8 else rng.randrange(0, 60 if hour < 17 else 15)
    local = dt.datetime.combine(day, dt.time(hour, minute, rng.randrange(60)), TOKYO)
    return local.astimezone(dt.UTC)


def _wait_minutes(arrival: dt.datetime, busy: float, rng: random.Random) -> float:
    peak = 1.6 if arrival.astimezone(TOKYO).hour in (9, 10, 11) else 1.0
    return rng.lognormvariate(0, 0.6) * 8 * peak * busy


def one_visit(
    office: Office, day: dt.date, rng: random.Random
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A purged visit row and its journey events."""
    events_mix = list(EVENT_MIX)
    event = rng.choices(events_mix, weights=[EVENT_MIX[e][0] for e in events_mix])[0]
    _, service_median, forms, counters = EVENT_MIX[event]
    busy = SEASON.get(day.month, 1.0) ** 0.5
    issued = _arrival(day, rng)
    called = issued + dt.timedelta(minutes=_wait_minutes(issued, busy, rng))
    opened = called + dt.timedelta(seconds=rng.randrange(20, 90))
    closed = opened + dt.timedelta(minutes=service_median * rng.lognormvariate(0, 0.35))
    first_counter = rng.choice(office.counter_ids)
    visit_id = new_id()
    visit: dict[str, Any] = {
        "id": visit_id,
        "tenant_id": office.tenant_id,
        "office_id": office.office_id,
        "counter_id": first_counter,
        "status": "closed",
        "event": event,
        "facts": {},
        "certificates": [],
        "created_at": opened,
        "updated_at": closed,
        "closed_at": closed,
        "purged_at": closed + dt.timedelta(days=30),
    }
    steps: list[tuple[str, dt.datetime, dict[str, Any]]] = [
        ("ticket.issued", issued, {}),
        ("ticket.called", called, {"counter_id": first_counter}),
        ("visit.opened", opened, {"counter_id": first_counter}),
    ]
    steps += _members(opened, event, rng)
    if counters > 1 and rng.random() < 0.6:
        second = rng.choice(office.counter_ids)
        steps.append(("visit.transferred", opened + (closed - opened) / 2, {"counter_id": second}))
    signed = closed - dt.timedelta(minutes=2)
    if event != "certificate":
        steps.append(("visit.signed", signed, {"documents": forms}))
    for _ in range(max(1, forms + rng.randrange(-1, 2))):
        steps.append(("document.stored", signed, {"prefilled_fields": rng.randrange(8, 30)}))
    steps += _arrangements(opened, rng)
    steps += _backoffice(closed, forms, rng)
    steps.append(("visit.closed", closed, {}))
    return visit, [
        {"id": new_id(), "tenant_id": office.tenant_id, "visit_id": visit_id, "kind": kind,
         "at": at, "data": data}
        for kind, at, data in steps
    ]  # fmt: skip


def _arrangements(
    opened: dt.datetime, rng: random.Random
) -> list[tuple[str, dt.datetime, dict[str, Any]]]:
    """Some residents booked (予約) or filled in a pre-entry (事前入力) at home."""
    steps: list[tuple[str, dt.datetime, dict[str, Any]]] = []
    if rng.random() < 0.12:
        steps.append(("reservation.checked_in", opened, {}))
    if rng.random() < 0.08:
        steps.append(("preentry.applied", opened, {}))
    return steps


def _backoffice(
    closed: dt.datetime, forms: int, rng: random.Random
) -> list[tuple[str, dt.datetime, dict[str, Any]]]:
    """The hand-off, and the back office's work items done over the following hours or days
    (most within the day; some still open)."""
    taken = max(1, forms - 1)
    suggested = taken + (1 if rng.random() < 0.25 else 0)  # a 要確認 one not taken
    steps: list[tuple[str, dt.datetime, dict[str, Any]]] = [
        ("handed_off", closed, {"messages": 1, "procedures_suggested": suggested,
                                "procedures_taken": taken}),
    ]  # fmt: skip
    done = taken if rng.random() < 0.9 else rng.randrange(0, taken)
    for _ in range(done):
        hours = rng.lognormvariate(0, 1.0) * 3
        steps.append(("work_item.done", closed + dt.timedelta(hours=hours), {}))
    return steps


def _members(
    opened: dt.datetime, event: str, rng: random.Random
) -> list[tuple[str, dt.datetime, dict[str, Any]]]:
    foreign = rng.random() < 0.1
    household = 1 if event == "certificate" else rng.choices([1, 2, 3, 4], [5, 3, 2, 1])[0]
    at = opened + dt.timedelta(seconds=40)
    steps: list[tuple[str, dt.datetime, dict[str, Any]]] = []
    for _ in range(household):
        by_card = rng.random() < (0.55 if foreign else 0.85)
        if by_card:
            steps.append(("card.read", at, {}))
        steps.append(("member.added", at, {"source": "card" if by_card else "staff",
                                           "foreign_resident": foreign}))  # fmt: skip
    return steps


def generate(
    office: Office, days: list[dt.date], per_day: int, seed: int = 21
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    rng = random.Random(seed)
    for day in days:
        for _ in range(visits_on(day, per_day, rng)):
            yield one_visit(office, day, rng)


def insert_history(
    session: Session,
    office: Office,
    days: list[dt.date],
    per_day: int = 70,
    batch: int = 2000,
) -> int:
    """Bulk-insert the visits of ``days``; returns how many visits were written."""
    visits: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    written = 0
    for visit, journey in generate(office, days, per_day):
        visits.append(visit)
        events += journey
        if len(visits) >= batch:
            written += _flush(session, visits, events)
            visits, events = [], []
    return written + _flush(session, visits, events)


def _flush(session: Session, visits: list[dict[str, Any]], events: list[dict[str, Any]]) -> int:
    if visits:
        session.execute(insert(Visit), visits)
        session.execute(insert(VisitEvent), events)
        summaries.write(session, Visit.id.in_([visit["id"] for visit in visits]))
    return len(visits)


def days_without_visits(session: Session, tenant_id: str, days: list[dt.date]) -> list[dt.date]:
    """The days (local) that have no visit yet: history is added once, never twice."""
    if not days:
        return []
    first, after = day_bounds(min(days), max(days))
    query = (
        select(Visit.created_at)
        .where(Visit.tenant_id == tenant_id, Visit.created_at >= first, Visit.created_at < after)
        .execution_options(unscoped=True)
    )
    taken = {at.astimezone(TOKYO).date() for at in session.scalars(query)}
    return [day for day in days if day not in taken]


def past_days(count: int, today: dt.date | None = None) -> list[dt.date]:
    today = today or dt.datetime.now(TOKYO).date()
    return [today - dt.timedelta(days=offset) for offset in range(count, 0, -1)]


def demo_office(session: Session, tenant_id: str) -> Office:
    query = (
        select(Counter.id, Counter.office_id)
        .where(Counter.tenant_id == tenant_id)
        .order_by(Counter.code)
        .execution_options(unscoped=True)
    )
    rows = session.execute(query).all()
    return Office(tenant_id, rows[0].office_id if rows else None, tuple(r.id for r in rows))


def seed_history(session: Session, tenant_id: str, days: int) -> int:
    """``days`` days of history before today, on the days that have none; and demo surveys."""
    office = demo_office(session, tenant_id)
    if not office.counter_ids:
        return 0
    session.info["tenant_id"] = tenant_id
    seed_demo_surveys(session, tenant_id)
    return insert_history(session, office, days_without_visits(session, tenant_id, past_days(days)))


# Walkthroughs of the old counter, in the seeds' style (figures like 深谷市 and 鹿児島市 published).
DEMO_SURVEYS: tuple[dict[str, Any], ...] = (
    {"event": "moving-in", "persona": "30代・会社員・子ども2人（県外から転入）", "stops": [
        {"counter": "市民課 1番", "wait_minutes": 25, "service_minutes": 15, "forms_written": 2,
         "fields_handwritten": 34},
        {"counter": "保険年金課 5番", "wait_minutes": 12, "service_minutes": 10,
         "forms_written": 2, "fields_handwritten": 22, "floor_changes": 1},
        {"counter": "子育て支援課", "wait_minutes": 8, "service_minutes": 12, "forms_written": 3,
         "fields_handwritten": 41, "floor_changes": 1}]},
    {"event": "moving-in", "persona": "20代・単身・学生", "stops": [
        {"counter": "市民課 2番", "wait_minutes": 30, "service_minutes": 12, "forms_written": 1,
         "fields_handwritten": 18},
        {"counter": "保険年金課 6番", "wait_minutes": 10, "service_minutes": 8,
         "forms_written": 2, "fields_handwritten": 20, "floor_changes": 1}]},
    {"event": "certificate", "persona": "50代・住民票と所得課税証明書", "stops": [
        {"counter": "市民課 3番", "wait_minutes": 12, "service_minutes": 4, "forms_written": 1,
         "fields_handwritten": 9},
        {"counter": "税務課", "wait_minutes": 6, "service_minutes": 4, "forms_written": 1,
         "fields_handwritten": 9, "floor_changes": 1}]},
    {"event": "moving-out", "persona": "40代・夫婦（県外へ転出）", "stops": [
        {"counter": "市民課 1番", "wait_minutes": 20, "service_minutes": 10, "forms_written": 1,
         "fields_handwritten": 16},
        {"counter": "保険年金課 5番", "wait_minutes": 10, "service_minutes": 8,
         "forms_written": 2, "fields_handwritten": 14}]},
)  # fmt: skip


def seed_demo_surveys(session: Session, tenant_id: str) -> None:
    if list_surveys(session, tenant_id):
        return
    for survey in DEMO_SURVEYS:
        add_survey(session, SurveyWrite.model_validate(survey), actor="seed")
