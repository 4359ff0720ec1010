"""Fixtures for pre-entry and reservations: the demo municipality with both services on, a
logged-in clerk and admin, a ticket machine, and a second municipality for isolation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Counter, Office, Tenant
from backend.queue import printing
from backend.queue.models import Queue
from backend.residents.models import ResidentServiceSettings
from backend.seed import seed_demo
from tests.helpers.residents import World


@pytest.fixture(autouse=True)
def midday_in_tokyo() -> Iterator[None]:
    """Today at 11:00 in Tokyo, the clock still running: a slot "in five minutes" or "in an
    hour" stays on the day it was booked for. On the real clock such tests failed between
    23:00 and 24:00 JST (the slot fell on the next day: ``reservation_not_today``)."""
    today = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()
    midday = dt.datetime.combine(today, dt.time(11), ZoneInfo("Asia/Tokyo"))
    with time_machine.travel(midday, tick=True):
        yield


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


@pytest.fixture
def fake_printer() -> Iterator[printing.FakeTicketPrinter]:
    fake = printing.FakeTicketPrinter()
    previous = printing.set_ticket_printer(fake)
    yield fake
    printing.set_ticket_printer(previous)
