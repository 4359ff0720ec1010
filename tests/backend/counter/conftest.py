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


# Answers that add as little as possible: every yes/no is no, the first plain choice.
PLAIN_ANSWERS: dict[str, object] = {
    "insurance": "employee",
    "nationality": "JP",
    "relationship": "子",
    "birth_date": "1990-01-01",
}


def answer_open_questions(clerk: Clerk, visit_id: str, limit: int = 40) -> int:
    """Answer what the guidance asks until nothing is open; returns how many were answered."""
    for answered in range(limit):
        questions = clerk.post(f"/api/v1/visits/{visit_id}/guidance").json()["questions"]
        if not questions:
            return answered
        question = questions[0]
        field = question["id"].rsplit(".", 1)[-1]
        value: object
        if question["type"] == "bool":
            value = False
        elif field in PLAIN_ANSWERS:
            value = PLAIN_ANSWERS[field]
        elif question["type"] == "choice":
            value = question["choices"][0]
        else:
            value = 0 if question["type"] == "int" else "なし"
        response = clerk.post(
            f"/api/v1/visits/{visit_id}/answers", {"answers": {question["id"]: value}}
        )
        assert response.status_code == 200, response.text
    raise AssertionError(f"questions still open after {limit} answers")
