"""The staff session's idle timeout, with ``last_seen_at`` written at most once a minute.

A read must not cost a write (issue 17), yet an idle session still expires after
``IDLE_TIMEOUT`` and a session in use never does.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth.service import IDLE_TIMEOUT, LAST_SEEN_STEP
from backend.identity.staff.models import StaffSession
from backend.platform.db import utcnow
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo


@pytest.fixture
def signed_in(client: TestClient, db: Session) -> StaffSession:
    seed_demo(db)
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return db.scalars(select(StaffSession).where(StaffSession.ended_at.is_(None))).one()


def _seen(db: Session, row: StaffSession, ago: dt.timedelta) -> dt.datetime:
    row.last_seen_at = utcnow() - ago
    db.flush()
    return row.last_seen_at


def test_a_request_soon_after_the_last_writes_nothing(
    client: TestClient, db: Session, signed_in: StaffSession
) -> None:
    seen = _seen(db, signed_in, LAST_SEEN_STEP / 2)
    assert client.get("/api/v1/auth/me").status_code == 200
    assert signed_in.last_seen_at == seen


def test_a_request_a_minute_later_restarts_the_idle_timer(
    client: TestClient, db: Session, signed_in: StaffSession
) -> None:
    seen = _seen(db, signed_in, LAST_SEEN_STEP)
    assert client.get("/api/v1/auth/me").status_code == 200
    assert signed_in.last_seen_at > seen + LAST_SEEN_STEP / 2


def test_a_session_in_use_does_not_expire(
    client: TestClient, db: Session, signed_in: StaffSession
) -> None:
    """Requests every half timeout keep it alive however long the day: each one, coming more
    than a step after the last write, restarts the timer."""
    for _ in range(4):
        _seen(db, signed_in, IDLE_TIMEOUT - LAST_SEEN_STEP)
        assert client.get("/api/v1/auth/me").status_code == 200
        assert utcnow() - signed_in.last_seen_at < LAST_SEEN_STEP


def test_an_idle_session_expires(client: TestClient, db: Session, signed_in: StaffSession) -> None:
    _seen(db, signed_in, IDLE_TIMEOUT + dt.timedelta(seconds=1))
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
