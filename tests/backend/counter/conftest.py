"""Fixtures for the visits API: the demo municipality, a logged-in clerk, a counter."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Counter, Tenant
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo


@dataclass
class Clerk:
    client: TestClient
    csrf: str
    tenant: Tenant
    counter: Counter

    def post(self, url: str, json: object = None):  # type: ignore[no-untyped-def]
        return self.client.post(url, json=json, headers={"x-csrf-token": self.csrf})

    def patch(self, url: str, json: object):  # type: ignore[no-untyped-def]
        return self.client.patch(url, json=json, headers={"x-csrf-token": self.csrf})

    def delete(self, url: str):  # type: ignore[no-untyped-def]
        return self.client.delete(url, headers={"x-csrf-token": self.csrf})

    def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kwargs)  # type: ignore[arg-type]


def login(client: TestClient, username: str) -> str:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


@pytest.fixture
def demo(db: Session) -> Tenant:
    return seed_demo(db)


@pytest.fixture
def clerk(client: TestClient, db: Session, demo: Tenant) -> Clerk:
    csrf = login(client, "clerk")
    counter = db.scalars(
        select(Counter).where(Counter.tenant_id == demo.id, Counter.code == "1")
    ).one()
    return Clerk(client, csrf, demo, counter)
