"""The residents' tests' municipality (one office, queue A, counter 1) and their requests as
staff or as a ticket machine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.identity.auth.tokens import hash_token, new_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter, Office, Tenant
from backend.queue.models import Queue
from backend.residents.models import ReservationSlot
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE


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
