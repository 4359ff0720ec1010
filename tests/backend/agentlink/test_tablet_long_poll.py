"""The tablet long-polls its view: a request that holds the ETag waits (no thread held) until
something at its counter changes, on SQLite and across connections on PostgreSQL (the wake-up
goes through the database, ``backend.counter.wake``)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from backend.counter import wake
from backend.platform import notifier
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from tests.backend.agentlink.conftest import LiveDb, clerk_client, start_server, tablet_client
from tests.backend.agentlink.test_agent_live import wait_until

CURRENT = "/api/v1/tablet/current"


def test_a_waiting_tablet_is_answered_when_the_clerk_opens_a_visit(live_any_db: LiveDb) -> None:
    server = start_server()
    clerk, tablet = clerk_client(server.url), tablet_client(server.url)
    pool = ThreadPoolExecutor(1)
    try:
        welcome = tablet.get(CURRENT)
        assert welcome.status_code == 200 and welcome.json()["visit"] is None
        etag = welcome.headers["etag"]
        key = wake.counter_key(live_any_db.counter_id)

        started = time.monotonic()
        waiting = pool.submit(tablet.get, f"{CURRENT}?wait=25", headers={"if-none-match": etag})
        wait_until(lambda: notifier.notifier.watchers(key) == 1, "the tablet's wait to be held")
        opened = clerk.post("/api/v1/visits", json={"counter_id": live_any_db.counter_id})
        assert opened.status_code in (200, 201), opened.text

        answer = waiting.result(timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.headers["etag"] != etag
        assert answer.json()["visit"] is None or answer.json()["visit"]["id"] == opened.json()["id"]
        # Woken by the change, not by the end of its 25 seconds.
        assert time.monotonic() - started < wake.RECHECK_SECONDS
        wait_until(lambda: notifier.notifier.watchers(key) == 0, "the wait to be let go")
    finally:
        pool.shutdown(wait=False)
        clerk.close()
        tablet.close()
        server.stop()


def test_without_a_change_the_wait_ends_in_304_and_a_revoked_tablet_gets_401(
    live_any_db: LiveDb,
) -> None:
    server = start_server()
    clerk, tablet = clerk_client(server.url), tablet_client(server.url)
    try:
        etag = tablet.get(CURRENT).headers["etag"]
        unchanged = tablet.get(f"{CURRENT}?wait=1", headers={"if-none-match": etag})
        assert unchanged.status_code == 304 and unchanged.content == b""

        too_long = tablet.get(f"{CURRENT}?wait=600", headers={"if-none-match": etag})
        assert too_long.status_code == 422  # the wait is bounded (wake.MAX_WAIT_SECONDS)

        revoked = admin_revokes_the_tablet(clerk, live_any_db)
        assert revoked.status_code in (200, 204), revoked.text
        refused = tablet.get(f"{CURRENT}?wait=1", headers={"if-none-match": etag})
        assert refused.status_code == 401
    finally:
        clerk.close()
        tablet.close()
        server.stop()


def admin_revokes_the_tablet(clerk: httpx.Client, live: LiveDb) -> httpx.Response:
    admin = httpx.Client(base_url=str(clerk.base_url), timeout=30)
    login = admin.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "admin", "password": DEMO_PASSWORD},
    )
    login.raise_for_status()
    admin.headers["x-csrf-token"] = login.json()["csrf_token"]
    try:
        return admin.post(f"/api/v1/devices/{live.tablet_id}/revoke")
    finally:
        admin.close()
