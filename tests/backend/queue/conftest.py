"""Queue fixtures: the demo office (queues A/B/C, counters 1,2,3,5,6) and device tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth.tokens import hash_token, new_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter, Office, Tenant
from backend.queue.models import Queue
from backend.seed import seed_demo

# 10:00 in Tokyo on a weekday.
MORNING = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)


@dataclass
class DemoOffice:
    tenant: Tenant
    office: Office
    queues: dict[str, Queue]
    counters: dict[str, Counter]


@pytest.fixture
def office(db: Session) -> DemoOffice:
    tenant = seed_demo(db)
    db.info["tenant_id"] = tenant.id
    office = db.scalars(select(Office).where(Office.tenant_id == tenant.id)).one()
    office.opens_at, office.closes_at = "08:30", "17:15"
    queues = {q.prefix: q for q in db.scalars(select(Queue).where(Queue.office_id == office.id))}
    counters = {
        c.code: c for c in db.scalars(select(Counter).where(Counter.office_id == office.id))
    }
    for counter in counters.values():
        counter.is_open = True
    db.flush()
    return DemoOffice(tenant, office, queues, counters)


def make_device(db: Session, office: DemoOffice, kind: DeviceKind) -> str:
    token = new_token("dev_")
    db.add(
        Device(
            tenant_id=office.tenant.id,
            office_id=office.office.id,
            kind=kind.value,
            name=f"test {kind.value}",
            token_hash=hash_token(token),
        )
    )
    db.flush()
    return token
