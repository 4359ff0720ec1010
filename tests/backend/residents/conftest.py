"""Fixtures for pre-entry and reservations: the demo municipality with both services on, a
logged-in clerk and admin, a ticket machine, and a second municipality for isolation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth.tokens import hash_token, new_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter, Office, Tenant
from backend.queue import printing
from backend.queue.models import Queue
from backend.residents.models import ReservationSlot, ResidentServiceSettings
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo


@dataclass
class World:
    tenant: Tenant
    office: Office
    queue: Queue
    counter: Counter
    db: Session

    def slot(self, starts_in: dt.timedelta, capacity: int = 1, purpose: str = "death") -> str:
        slot = ReservationSlot(
            tenant_id=self.tenant.id,
            queue_id=self.queue.id,
            purpose=purpose,
            label="おくやみコーナー",
            starts_at=dt.datetime.now(dt.UTC).replace(microsecond=0) + starts_in,
            minutes=30,
            capacity=capacity,
        )
        self.db.add(slot)
        self.db.flush()
        return slot.id


@pytest.fixture
def world(db: Session) -> World:
    tenant = seed_demo(db)
    db.info["tenant_id"] = tenant.id
    # the demo turns both services on; the rules are set here as the tests read them
    switches = db.scalars(
        select(ResidentServiceSettings).where(ResidentServiceSettings.tenant_id == tenant.id)
    ).one()
    switches.preentry_enabled = switches.reservations_enabled = switches.reserved_first = True
    switches.preentry_retention_days, switches.no_show_grace_minutes = 7, 15
    office = db.scalars(select(Office).where(Office.tenant_id == tenant.id)).one()
    queue = db.scalars(select(Queue).where(Queue.office_id == office.id, Queue.prefix == "A")).one()
    counter = db.scalars(
        select(Counter).where(Counter.office_id == office.id, Counter.code == "1")
    ).one()
    counter.is_open = True
    db.flush()
    return World(tenant, office, queue, counter, db)


@pytest.fixture
def other(db: Session) -> Tenant:
    """A second municipality with both services on."""
    home = db.info.get("tenant_id")
    tenant = Tenant(code="131016", name="千代田区")
    db.add(tenant)
    db.flush()
    db.info["tenant_id"] = tenant.id
    db.add(
        ResidentServiceSettings(
            tenant_id=tenant.id, preentry_enabled=True, reservations_enabled=True
        )
    )
    db.flush()
    db.info["tenant_id"] = home
    return tenant


def staff_headers(client: TestClient, username: str = "clerk") -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


def ticket_machine(db: Session, world: World) -> dict[str, str]:
    token = new_token("dev_")
    db.add(
        Device(
            tenant_id=world.tenant.id,
            office_id=world.office.id,
            kind=DeviceKind.TICKET_MACHINE.value,
            name="test machine",
            token_hash=hash_token(token),
        )
    )
    db.flush()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def fake_printer() -> Iterator[printing.FakeTicketPrinter]:
    fake = printing.FakeTicketPrinter()
    previous = printing.set_ticket_printer(fake)
    yield fake
    printing.set_ticket_printer(previous)
