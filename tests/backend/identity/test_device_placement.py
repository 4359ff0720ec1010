"""A device is registered where it stands: a card reader or tablet at a counter, a ticket
machine or display in an office (the only one by default). A tablet paired without a counter
showed no visit at all."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.devices.models import Device
from backend.identity.tenants.models import Counter, Office
from backend.seed import seed_demo
from tests.security.security_world import login


def test_a_tablet_or_card_reader_needs_its_counter(client: TestClient, db: Session) -> None:
    seed_demo(db)
    admin = login(client, "admin")
    for kind in ("tablet", "agent"):
        refused = client.post("/api/v1/devices", json={"kind": kind, "name": "x"}, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "placement_needed"
    counter = db.scalars(select(Counter).where(Counter.code == "2")).first()
    assert counter is not None
    created = client.post(
        "/api/v1/devices",
        json={"kind": "tablet", "name": "2番タブレット", "counter_id": counter.id},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    stored = db.get(Device, created.json()["device"]["id"])
    assert stored is not None
    assert (stored.counter_id, stored.office_id) == (counter.id, counter.office_id)


def test_a_display_takes_the_only_office_and_must_choose_among_several(
    client: TestClient, db: Session
) -> None:
    tenant = seed_demo(db)
    admin = login(client, "admin")
    only = db.scalars(select(Office).where(Office.tenant_id == tenant.id)).one()
    created = client.post("/api/v1/devices", json={"kind": "display", "name": "1F"}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["device"]["office_id"] == only.id

    db.add(Office(tenant_id=tenant.id, code="branch", name="支所"))
    db.flush()
    refused = client.post(
        "/api/v1/devices", json={"kind": "ticket_machine", "name": "2F"}, headers=admin
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "placement_needed"
    api_client = client.post(
        "/api/v1/devices", json={"kind": "back_office_api", "name": "RPA"}, headers=admin
    )
    assert api_client.status_code == 201, api_client.text
    assert api_client.json()["device"]["office_id"] is None
