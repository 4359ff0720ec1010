"""Reservations: capacity, double booking, cancellation, no-show after the grace time,
check-in at the ticket machine (a priority ticket, called first) and tenant isolation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.queue import service as queue_service
from backend.residents import reservations
from backend.residents.models import Reservation
from backend.seed import DEMO_TENANT_CODE
from tests.helpers.residents import World, staff_headers, ticket_machine

BASE = f"/api/v1/public/{DEMO_TENANT_CODE}"
SOON = dt.timedelta(minutes=5)
TOKYO = ZoneInfo("Asia/Tokyo")


def _book(client: TestClient, slot_id: str, phone: str | None = None, base: str = BASE):  # type: ignore[no-untyped-def]
    return client.post(
        f"{base}/reservations", json={"slot_id": slot_id, "lang": "en", "phone": phone}
    )


def test_a_full_slot_refuses_the_next_booking(client: TestClient, world: World) -> None:
    slot = world.slot(dt.timedelta(days=1), capacity=2)
    assert _book(client, slot).status_code == 201
    assert _book(client, slot).status_code == 201
    full = _book(client, slot)
    assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
    listed = client.get(f"{BASE}/slots", params={"lang": "en"}).json()
    assert [s["remaining"] for s in listed if s["id"] == slot] == [0]


def test_the_same_phone_cannot_book_twice_a_day(client: TestClient, world: World) -> None:
    # Half an hour apart on the same day in Tokyo: the clock is 11:00 there (midday_in_tokyo).
    first = world.slot(dt.timedelta(days=1), capacity=5)
    second = world.slot(dt.timedelta(days=1, minutes=30), capacity=5)
    assert _book(client, first, "090-1111-2222").status_code == 201
    twice = _book(client, second, "09011112222")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_booked"
    assert _book(client, second, "090-3333-4444").status_code == 201


def test_cancellation_frees_the_place(client: TestClient, world: World) -> None:
    slot = world.slot(dt.timedelta(days=1))
    code = _book(client, slot).json()["code"]
    cancelled = client.post(f"{BASE}/reservations/cancel", json={"code": code})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["phone"] is None
    again = client.post(f"{BASE}/reservations/cancel", json={"code": code})
    assert again.status_code == 409
    assert _book(client, slot).status_code == 201


def test_a_reservation_not_checked_in_becomes_a_no_show(
    client: TestClient, db: Session, world: World
) -> None:
    slot = world.slot(dt.timedelta(hours=1))
    number = _book(client, slot).json()["number"]
    start = db.scalars(select(Reservation)).one()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=14)
    assert reservations.mark_no_shows(db, later) == 0
    assert reservations.mark_no_shows(db, later + dt.timedelta(minutes=2)) == 1
    db.refresh(start)
    assert start.status == "no_show"
    machine = ticket_machine(db, world)
    refused = client.post("/api/v1/ticket-machine/check-in", json={"code": number}, headers=machine)
    assert refused.status_code == 409


def test_check_in_issues_a_ticket_called_first(
    client: TestClient, db: Session, world: World, fake_printer: object
) -> None:
    machine = ticket_machine(db, world)
    walk_in = client.post("/api/v1/tickets", json={"queue_id": world.queue.id}, headers=machine)
    assert walk_in.status_code == 201, walk_in.text
    booked = _book(client, world.slot(SOON)).json()
    checked = client.post(
        "/api/v1/ticket-machine/check-in", json={"code": booked["code"]}, headers=machine
    )
    assert checked.status_code == 201, checked.text
    assert checked.json()["ticket"]["priority"] is True
    twice = client.post(
        "/api/v1/ticket-machine/check-in", json={"code": booked["number"]}, headers=machine
    )
    assert twice.status_code == 409
    called = queue_service.call_next(db, world.counter.id)
    assert called is not None and called.id == checked.json()["ticket"]["id"]

    headers = staff_headers(client)
    day = client.get("/api/v1/reservations", headers=headers).json()
    assert [(r["number"], r["status"], r["ticket_number"]) for r in day] == [
        (booked["number"], "checked_in", checked.json()["ticket"]["display_number"])
    ]


def test_staff_books_by_phone_and_cancels(client: TestClient, world: World) -> None:
    headers = staff_headers(client)
    slot = world.slot(dt.timedelta(days=2))
    booked = client.post(
        "/api/v1/reservations", json={"slot_id": slot, "phone": "03-1234-5678"}, headers=headers
    )
    assert booked.status_code == 201, booked.text
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).astimezone(TOKYO).date()
    rid = client.get(
        "/api/v1/reservations", params={"day": day.isoformat()}, headers=headers
    ).json()
    assert rid and rid[0]["booked_by"].startswith("staff:")
    cancelled = client.post(f"/api/v1/reservations/{rid[0]['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_admin_creates_slots_and_switches(client: TestClient, world: World) -> None:
    admin = staff_headers(client, "admin")
    start = dt.date.today() + dt.timedelta(days=1)
    body = {
        "queue_id": world.queue.id, "purpose": "death", "label": "おくやみコーナー",
        "first_day": start.isoformat(), "last_day": (start + dt.timedelta(days=6)).isoformat(),
        "weekdays": [0, 1, 2, 3, 4], "times": ["09:00", "10:00"], "capacity": 3,
    }  # fmt: skip
    created = client.post("/api/v1/reservation-slots", json=body, headers=admin)
    assert created.status_code == 201 and created.json()["created"] == 10
    assert client.post("/api/v1/reservation-slots", json=body, headers=admin).json() == {
        "created": 0
    }
    settings = client.get("/api/v1/resident-services", headers=admin).json()
    settings["preentry_retention_days"] = 3
    saved = client.put("/api/v1/resident-services", json=settings, headers=admin)
    assert saved.status_code == 200 and saved.json()["preentry_retention_days"] == 3
    clerk = staff_headers(client)
    assert client.post("/api/v1/reservation-slots", json=body, headers=clerk).status_code == 403


def test_another_municipality_cannot_book_or_check_in_our_slots(
    client: TestClient, db: Session, world: World, other: object
) -> None:
    slot = world.slot(SOON)
    foreign = _book(client, slot, base="/api/v1/public/131016")
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "slot_not_found"
    assert client.get("/api/v1/public/131016/slots").json() == []


def test_the_journey_report_counts_checked_in_and_no_show_reservations(
    client: TestClient, db: Session, world: World, fake_printer: object
) -> None:
    from backend.journey.live import live_figures

    machine = ticket_machine(db, world)
    came = _book(client, world.slot(SOON)).json()
    assert (
        client.post(
            "/api/v1/ticket-machine/check-in", json={"code": came["code"]}, headers=machine
        ).status_code
        == 201
    )
    _book(client, world.slot(dt.timedelta(hours=1)))
    reservations.mark_no_shows(db, dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    today = dt.datetime.now(TOKYO).date()
    total = live_figures(
        db, world.tenant.id, today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    )["total"]
    assert (total["reservations_checked_in"], total["reservation_no_shows"]) == (1, 1)
