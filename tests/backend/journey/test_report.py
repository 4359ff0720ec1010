"""The report's figures against figures worked out by hand on a small fixed history.

Tokyo, Tue 2026-11-24 (UTC+9). Moving in: three visits waiting 10, 30 and 20 minutes and served
20, 30 and 10 minutes (one purged, one at two counters); a certificate without a ticket (no
wait, 5 minutes). One more visit outside the range, one in another municipality.
Percentiles interpolate: median of 10, 20, 30 = 20, p90 = 20 + 0.8 × 10 = 28.
The first moving-in visit is handed off with 3 procedures suggested and 2 taken; the back office
finishes them at 11:11 and 13:11 (recorded after the visit closed): completed in 3 hours. The
second came with a reservation, the third with a pre-entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.counter.models import Visit
from backend.identity.tenants.models import Tenant
from backend.journey import baseline
from backend.journey.report import build_report
from backend.journey.schemas import SurveyWrite
from backend.seed import seed_demo

JST = dt.timezone(dt.timedelta(hours=9))


def at(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=JST).astimezone(dt.UTC)


def make_visit(
    db: Session, tenant: Tenant, event: str, times: dict[str, dt.datetime], **extra: Any
) -> Visit:
    visit = Visit(tenant_id=tenant.id, event=event, status="closed", facts={}, certificates=[])
    visit.created_at = times["visit.opened"]
    visit.closed_at = times.get("visit.closed")
    visit.purged_at = extra.get("purged_at")
    db.add(visit)
    db.flush()
    for kind, when in times.items():
        data = {"counter_id": "c1"} if kind in ("ticket.called", "visit.opened") else {}
        visits.add_event(db, visit, kind, data, at=when)
    for kind, data in extra.get("events", []):
        visits.add_event(db, visit, kind, data, at=times["visit.opened"])
    for kind, data, when in extra.get("later", []):  # after the close: the summary follows
        visits.add_event(db, visit, kind, data, at=when)
    return visit


def fixed_history(db: Session, tenant: Tenant, other: Tenant) -> None:
    make_visit(
        db,
        tenant,
        "moving-in",
        {
            "ticket.issued": at(24, 10, 0),
            "ticket.called": at(24, 10, 10),
            "visit.opened": at(24, 10, 11),
            "visit.closed": at(24, 10, 31),
        },
        events=[
            ("card.read", {}),
            ("member.added", {"source": "card"}),
            ("member.added", {"source": "staff"}),
            ("visit.signed", {}),
            ("document.stored", {"prefilled_fields": 10}),
            ("document.stored", {"prefilled_fields": 15}),
            ("handed_off", {"procedures_suggested": 3, "procedures_taken": 2}),
        ],
        later=[
            ("work_item.input", {}, at(24, 10, 40)),
            ("work_item.done", {}, at(24, 11, 11)),
            ("work_item.done", {}, at(24, 13, 11)),
        ],
    )
    make_visit(
        db,
        tenant,
        "moving-in",
        {
            "ticket.issued": at(24, 10, 0),
            "ticket.called": at(24, 10, 30),
            "visit.opened": at(24, 10, 30),
            "visit.closed": at(24, 11, 0),
        },
        events=[
            ("visit.transferred", {"counter_id": "c2"}),
            ("document.stored", {"prefilled_fields": 20}),
            ("reservation.checked_in", {}),
        ],
    )
    make_visit(
        db,
        tenant,
        "moving-in",
        {
            "ticket.issued": at(24, 14, 0),
            "ticket.called": at(24, 14, 20),
            "visit.opened": at(24, 14, 20),
            "visit.closed": at(24, 14, 30),
        },
        purged_at=at(25, 9, 0),
        events=[("preentry.applied", {})],
    )
    make_visit(
        db,
        tenant,
        "certificate",
        {
            "visit.opened": at(24, 15, 0),
            "visit.closed": at(24, 15, 5),
        },
    )
    make_visit(
        db,
        tenant,
        "moving-in",
        {  # outside the range
            "visit.opened": at(27, 9, 0),
            "visit.closed": at(27, 9, 50),
        },
    )
    make_visit(db, other, "moving-in", {  # another municipality
        "visit.opened": at(24, 9, 0), "visit.closed": at(24, 9, 50),
    })  # fmt: skip


SURVEYS = [
    {"event": "moving-in", "persona": "30代・子ども2人", "stops": [
        {"counter": "市民課", "wait_minutes": 25, "service_minutes": 15, "forms_written": 2,
         "fields_handwritten": 34},
        {"counter": "保険年金課", "wait_minutes": 12, "service_minutes": 10, "forms_written": 2,
         "fields_handwritten": 22, "floor_changes": 1}]},
    {"event": "moving-in", "persona": "20代・単身", "stops": [
        {"counter": "市民課", "wait_minutes": 30, "service_minutes": 12, "forms_written": 1,
         "fields_handwritten": 18},
        {"counter": "保険年金課", "wait_minutes": 10, "service_minutes": 8, "forms_written": 1,
         "fields_handwritten": 20}]},
]  # fmt: skip


@pytest.fixture
def report(db: Session) -> dict[str, Any]:
    tenant = seed_demo(db)
    other = Tenant(code="011002", name="別の市")
    db.info["tenant_id"] = None  # rows of two municipalities in one session
    db.add(other)
    db.flush()
    fixed_history(db, tenant, other)
    db.info["tenant_id"] = tenant.id
    for survey in SURVEYS:
        baseline.add_survey(db, SurveyWrite.model_validate(survey), actor="test")
    return build_report(db, tenant, dt.date(2026, 11, 24), dt.date(2026, 11, 25))


def test_moving_in_figures_are_the_hand_computed_ones(report: dict[str, Any]) -> None:
    moving_in = report["events"]["moving-in"]
    assert moving_in["visits"] == 3
    assert moving_in["wait_minutes"] == {"median": 20.0, "p90": 28.0}
    assert moving_in["service_minutes"]["median"] == 20.0
    assert moving_in["counters_per_visit"] == 1.3  # (1 + 2 + 1) / 3
    assert moving_in["forms"] == 3
    assert moving_in["fields_prefilled"] == 45
    assert (moving_in["cards_read"], moving_in["members_typed"]) == (1, 1)
    assert (moving_in["signatures"], moving_in["handed_off"]) == (1, 1)


def test_baseline_and_change_are_the_hand_computed_ones(report: dict[str, Any]) -> None:
    moving_in = report["events"]["moving-in"]
    # Surveys: waits 37 and 40 minutes, service 25 and 20, two counters each, 94 and 38 fields.
    assert moving_in["baseline"]["surveys"] == 2
    assert moving_in["baseline"]["wait_minutes"] == {"median": 38.5, "p90": 39.7}
    assert moving_in["baseline"]["service_minutes"]["median"] == 22.5
    assert moving_in["baseline"]["counters_per_visit"] == 2.0
    assert moving_in["baseline"]["fields_handwritten_per_visit"] == 47.0
    change = moving_in["change"]
    assert change["wait_minutes_median"] == {"difference": -18.5, "percent": -48.1}
    assert change["service_minutes_median"] == {"difference": -2.5, "percent": -11.1}
    assert change["counters_per_visit"] == {"difference": -0.7, "percent": -35.0}


def test_a_visit_without_ticket_has_no_wait_and_no_baseline(report: dict[str, Any]) -> None:
    certificate = report["events"]["certificate"]
    assert certificate["visits"] == 1
    assert certificate["wait_minutes"] == {"median": None, "p90": None}
    assert certificate["service_minutes"]["median"] == 5.0
    assert "baseline" not in certificate


def test_range_tenant_hours_and_days(report: dict[str, Any]) -> None:
    assert report["total"]["visits"] == 4  # not the 27th, not the other municipality
    assert {hour: f["visits"] for hour, f in report["hours"].items()} == {10: 2, 14: 1, 15: 1}
    assert list(report["days"]) == ["2026-11-24"]


def test_procedures_back_office_and_arrangements(report: dict[str, Any]) -> None:
    moving_in = report["events"]["moving-in"]
    assert (moving_in["procedures_suggested"], moving_in["procedures_taken"]) == (3, 2)
    assert moving_in["backoffice"] == {
        "visits_handed_off": 1,
        "handoffs_completed": 1,
        "work_items_done": 2,
        "hours_to_complete": {"median": 3.0, "p90": 3.0},  # 10:11 → 13:11
    }
    assert moving_in["reservations_checked_in"] == 1
    assert moving_in["preentries_used"] == 1
    assert moving_in["reservation_no_shows"] == 0
    certificate = report["events"]["certificate"]
    assert certificate["backoffice"]["hours_to_complete"] == {"median": None, "p90": None}
    assert report["total"]["backoffice"]["handoffs_completed"] == 1


def test_a_period_without_visits_reports_zeros(db: Session) -> None:
    """SQLite's percentile aggregate gives NULL when no row matched (finalize never runs)."""
    tenant = seed_demo(db)
    empty = build_report(db, tenant, dt.date(2031, 1, 6), dt.date(2031, 1, 6))
    assert empty["total"]["visits"] == 0
    assert empty["total"]["wait_minutes"] == {"median": None, "p90": None}
