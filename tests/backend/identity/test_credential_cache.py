"""The credential cache (backend/identity/auth/cache.py): a known cookie or device token costs no
SQL, and whatever ends a session or a device's token is refused at the very next request here
and dropped by every other process the notifier reaches.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.identity.auth import cache
from backend.identity.devices import service as devices
from backend.identity.devices.models import Device
from backend.identity.staff import service as staff_service
from backend.identity.staff.models import StaffAccount
from backend.platform.access import DeviceKind, DeviceRef
from backend.platform.db import utcnow
from backend.platform.notifier import notifier
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, DEMO_TICKET_MACHINE_TOKEN, seed_demo
from tests.helpers.sql import statements

STAFF_GET = "/api/v1/counters"
DEVICE_GET = "/api/v1/ticket-machine/queues"
TICKET_MACHINE = {"Authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"}


@pytest.fixture
def csrf(client: TestClient, db: Session) -> str:
    """The clerk signed in (the client keeps the cookie); their CSRF token."""
    seed_demo(db)
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def _auth_statements(sent: list[str], table: str) -> list[str]:
    return [s for s in sent if table in s.split(" WHERE ")[0] or s.startswith(f"UPDATE {table}")]


# --- statements ------------------------------------------------------------------------------


def test_a_staff_request_after_the_first_reads_no_session(
    client: TestClient, db: Session, csrf: str
) -> None:
    with statements(db) as first:
        assert client.get(STAFF_GET).status_code == 200
    with statements(db) as second:
        assert client.get(STAFF_GET).status_code == 200
    assert len(_auth_statements(first, "staff_sessions")) == 1
    assert _auth_statements(second, "staff_sessions") == []
    assert len(second) == len(first) - 1


def test_a_device_request_after_the_first_reads_no_device(client: TestClient, db: Session) -> None:
    seed_demo(db)
    with statements(db) as first:
        assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 200
    with statements(db) as second:
        assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 200
    assert _auth_statements(first, "devices")  # read (and its last-seen time written)
    assert _auth_statements(second, "devices") == []
    assert len(second) < len(first)


def test_a_held_device_is_checked_by_its_last_seen_write(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once its step is due, one UPDATE writes the time and re-checks the token: a device
    revoked behind the application's back (no notification) is refused at that request."""
    seed_demo(db)
    assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 200
    later = utcnow() + devices.DEVICE_SEEN_STEP
    monkeypatch.setattr(cache, "utcnow", lambda: later)
    with statements(db) as due:
        assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 200
    assert [s.split(" SET ")[0] for s in _auth_statements(due, "devices")] == ["UPDATE devices"]
    device = db.scalars(select(Device).where(Device.kind == DeviceKind.TICKET_MACHINE)).one()
    db.refresh(device)
    assert device.last_seen_at == later

    db.execute(update(Device).where(Device.id == device.id).values(revoked_at=utcnow()))
    monkeypatch.setattr(cache, "utcnow", lambda: later + devices.DEVICE_SEEN_STEP)
    assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 401


# --- this process: refused at once -----------------------------------------------------------


def test_a_revoked_device_is_refused_at_once(client: TestClient, db: Session) -> None:
    seed_demo(db)
    assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 200
    device = db.scalars(select(Device).where(Device.kind == DeviceKind.TICKET_MACHINE)).one()
    devices.revoke(db, device.id, actor="staff:test")
    assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 401


def test_a_re_paired_device_loses_its_old_token_at_once(client: TestClient, db: Session) -> None:
    seed_demo(db)
    assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 200
    device = db.scalars(select(Device).where(Device.kind == DeviceKind.TICKET_MACHINE)).one()
    devices.reissue_pairing_code(db, device.id, actor="staff:test")
    assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 401


def test_a_moved_device_is_seen_where_it_now_is(client: TestClient, db: Session) -> None:
    seed_demo(db)
    assert client.get("/api/v1/devices/me", headers=TICKET_MACHINE).status_code == 200
    device = db.scalars(select(Device).where(Device.kind == DeviceKind.TICKET_MACHINE)).one()
    device.name = "発券機（2F）"
    db.flush()
    assert cache.credentials.get(cache.hash_token(DEMO_TICKET_MACHINE_TOKEN), 0) is None
    assert client.get(DEVICE_GET, headers=TICKET_MACHINE).status_code == 200
    held = cache.credentials.get(cache.hash_token(DEMO_TICKET_MACHINE_TOKEN), 0)
    assert isinstance(held, cache.DeviceEntry) and held.device.name == "発券機（2F）"


def test_a_logged_out_session_is_refused_at_once(
    client: TestClient, db: Session, csrf: str
) -> None:
    assert client.get(STAFF_GET).status_code == 200
    cookie = client.cookies.get("madoguchi_session")
    assert client.post("/api/v1/auth/logout", headers={"x-csrf-token": csrf}).status_code == 204
    client.cookies.set("madoguchi_session", str(cookie))  # a copy of the cookie kept elsewhere
    assert client.get(STAFF_GET).status_code == 401


@pytest.mark.parametrize("change", ["disable", "password", "role"])
def test_an_account_change_applies_at_the_next_request(
    client: TestClient, db: Session, csrf: str, change: str
) -> None:
    assert client.get(STAFF_GET).status_code == 200
    clerk = db.scalars(select(StaffAccount).where(StaffAccount.username == "clerk")).one()
    who = staff_service.StaffChange(actor="staff:test")
    if change == "disable":
        staff_service.disable_staff(db, clerk, change=who)
    elif change == "password":
        staff_service.reset_password(db, clerk, "another-long-password", change=who)
    else:
        clerk.role = "back_office"  # may read visits, not the counters' list
        db.flush()
    assert client.get(STAFF_GET).status_code == (403 if change == "role" else 401)


def test_csrf_is_checked_on_a_held_session(client: TestClient, db: Session, csrf: str) -> None:
    assert client.get(STAFF_GET).status_code == 200  # held from here on
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert client.post("/api/v1/auth/logout", headers={"x-csrf-token": "x"}).status_code == 403


# --- other processes ---------------------------------------------------------------------------


def _ref(device_id: str) -> DeviceRef:
    return DeviceRef(device_id, "t", DeviceKind.TABLET, "tablet", None, "c")


@pytest.fixture
def other_process() -> Iterator[cache.CredentialCache]:
    """Another process's cache: its own entries, fed only by the notifier."""
    other = cache.CredentialCache()
    notifier.subscribe(other.notified)
    yield other
    notifier.unsubscribe(other.notified)


def _hold(other: cache.CredentialCache, device_id: str, connection: int | None) -> str:
    token_hash = cache.hash_token(f"token-of-{device_id}")
    entry = cache.DeviceEntry(_ref(device_id), utcnow())
    other.put(token_hash, entry, [cache.device_key(device_id)], connection, other.mark())
    return token_hash


def test_another_process_drops_what_a_committed_change_names_sqlite(
    sqlite_engine: Engine, other_process: cache.CredentialCache
) -> None:
    kept, dropped = _hold(other_process, "d1", 0), _hold(other_process, "d2", 0)
    with Session(sqlite_engine) as session:
        cache.invalidate(session, [cache.device_key("d2")])
        assert other_process.get(dropped, 0) is not None  # not before the commit
        session.commit()
    assert other_process.get(dropped, 0) is None
    assert other_process.get(kept, 0) is not None


def test_another_process_drops_what_a_committed_change_names_postgres(
    postgres_engine: Engine, other_process: cache.CredentialCache
) -> None:
    """Through PostgreSQL's NOTIFY and this process's listener, as another replica hears it."""

    async def scenario() -> None:
        await notifier.ensure_listening(postgres_engine)
        connection = notifier.listening()
        assert connection is not None
        token_hash = _hold(other_process, "d3", connection)

        def commit() -> None:
            with Session(postgres_engine) as session:
                cache.invalidate(session, [cache.device_key("d3")])
                session.commit()

        await asyncio.to_thread(commit)
        deadline = time.monotonic() + 2
        while other_process.get(token_hash, connection) is not None:
            assert time.monotonic() < deadline, "the other process still holds the device"
            await asyncio.sleep(0.01)
        notifier.stop_listening()

    asyncio.run(scenario())


# --- the bounds --------------------------------------------------------------------------------


def test_an_entry_is_believed_past_two_seconds_only_while_notifications_arrive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = cache.CredentialCache()
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    listened, unheard = _hold(held, "d4", 7), _hold(held, "d5", None)
    clock[0] += cache.SHORT_TTL + 0.1
    assert held.get(listened, 7) is not None
    assert held.get(listened, 8) is None  # the listener reconnected: something may be missed
    assert held.get(listened, None) is None  # no listener now
    assert held.get(unheard, 7) is None  # filled while nothing was heard
    clock[0] += cache.LONG_TTL
    assert held.get(listened, 7) is None


def test_a_read_that_raced_a_change_is_not_kept() -> None:
    held = cache.CredentialCache()
    mark = held.mark()
    held.drop([cache.device_key("elsewhere")])  # a change committed while the row was read
    entry = cache.DeviceEntry(_ref("d6"), utcnow())
    held.put("h", entry, [cache.device_key("d6")], 0, mark)
    assert held.get("h", 0) is None


def test_a_staff_session_goes_to_the_database_when_its_idle_timer_is_due(
    client: TestClient, db: Session, csrf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.identity.auth.service import LAST_SEEN_STEP

    assert client.get(STAFF_GET).status_code == 200
    monkeypatch.setattr(cache, "utcnow", lambda: utcnow() + LAST_SEEN_STEP + dt.timedelta(1))
    with statements(db) as due:
        assert client.get(STAFF_GET).status_code == 200
    assert len(_auth_statements(due, "staff_sessions")) >= 1
