"""Fixtures of the security tests (see security_world)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from security_world import Caller, World, build_foreign, device_with_token, login
from sqlalchemy.orm import Session

from backend.identity.devices.models import DeviceKind
from backend.seed import DEMO_STAFF, seed_demo


@pytest.fixture
def world(client: TestClient, db: Session) -> World:
    home = seed_demo(db)
    db.info["tenant_id"] = None
    foreign, ids = build_foreign(db)
    db.info["tenant_id"] = None
    result = World(home=home, foreign=foreign, foreign_ids=ids)
    for demo in DEMO_STAFF:
        result.callers.append(Caller(f"staff:{demo.role.value}", login(client, demo.username),
                                     role=demo.role))  # fmt: skip
    for kind in DeviceKind:
        token = device_with_token(db, home, kind)
        result.callers.append(
            Caller(f"device:{kind.value}", {"authorization": f"Bearer {token}"}, kind=kind)
        )
    return result
