"""The screens' polls answer 304 while nothing changed, and 200 with a new ETag once it did.

A stale 304 would hide a PIN request or a changed form from the resident, so each test changes
one thing the answer depends on and expects a new answer; and the caller is authenticated
before any 304 (a revoked device or a logged-out clerk gets 401 even with the right ETag).
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter.models import HouseholdMember
from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.platform.agentlink.models import AgentJob, JobKind, JobStatus
from backend.platform.db import utcnow
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import (
    TABLET_TOKEN,
    moving_in_visit,
    tablet_headers,
)

CURRENT = "/api/v1/tablet/current"


def first_answer(response: Response, cache_control: str) -> str:
    """A 200 with its ETag and Cache-Control; the ETag."""
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == cache_control
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    return etag


def assert_not_modified(response: Response, etag: str) -> None:
    assert response.status_code == 304, response.text
    assert response.content == b""
    assert response.headers["etag"] == etag


def revalidate(client: TestClient, url: str, headers: dict[str, str], etag: str) -> Response:
    return client.get(url, headers={**headers, "if-none-match": etag})


def add_agent(db: Session, clerk: Clerk) -> Device:
    agent = Device(
        tenant_id=clerk.tenant.id,
        kind=DeviceKind.AGENT.value,
        name="agent 1",
        counter_id=clerk.counter.id,
        token_hash=hash_token("agent-token-for-poll-tests"),
    )
    db.add(agent)
    db.flush()
    return agent


def test_the_tablet_view_is_304_until_the_visit_is_sent_then_changes_again(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    welcome = client.get(CURRENT, headers=tablet)
    etag = first_answer(welcome, "no-store")  # the resident's data: never in a browser cache
    assert welcome.json()["visit"] is None
    assert_not_modified(revalidate(client, CURRENT, tablet, etag), etag)
    # As a proxy may pass it on: a list, our tag marked weak.
    assert revalidate(client, CURRENT, tablet, f'"other", W/{etag}').status_code == 304

    clerk.post(f"/api/v1/visits/{vid}/confirm")
    sent = revalidate(client, CURRENT, tablet, etag)
    confirming = first_answer(sent, "no-store")
    assert confirming != etag and sent.json()["visit"]["id"] == vid
    assert_not_modified(revalidate(client, CURRENT, tablet, confirming), confirming)
    # The resident picks English: the procedures in English are another answer.
    english = revalidate(client, f"{CURRENT}?lang=en", tablet, confirming)
    assert first_answer(english, "no-store") != confirming
    assert english.json()["visit"]["procedures"]

    # The clerk changes the visit: the tablet must not keep showing the old data.
    clerk.patch(f"/api/v1/visits/{vid}", {"new_address": "窓口デモ市中央一丁目９番９号"})
    changed = revalidate(client, CURRENT, tablet, confirming)
    assert first_answer(changed, "no-store") != confirming
    assert changed.json()["visit"] is None  # a change voids the confirmation
    clerk.post(f"/api/v1/visits/{vid}/confirm")
    resent = revalidate(client, CURRENT, tablet, confirming)
    assert first_answer(resent, "no-store") != confirming  # the new address, not the old one
    assert resent.json()["visit"]["record"]["new_address"] == "窓口デモ市中央一丁目９番９号"


def test_a_pin_request_ends_the_304s(clerk: Clerk, db: Session, client: TestClient) -> None:
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    etag = first_answer(client.get(CURRENT, headers=tablet), "no-store")
    agent = add_agent(db, clerk)
    job = AgentJob(
        tenant_id=clerk.tenant.id,
        device_id=agent.id,
        counter_id=clerk.counter.id,
        visit_id=vid,
        kind=JobKind.READ_CARD.value,
        status=JobStatus.AWAITING_PIN.value,
        params={},
    )
    db.add(job)
    db.flush()
    asked = revalidate(client, CURRENT, tablet, etag)
    pin_etag = first_answer(asked, "no-store")
    assert asked.json()["pin_request"]["id"] == job.id
    assert_not_modified(revalidate(client, CURRENT, tablet, pin_etag), pin_etag)
    job.status = JobStatus.FAILED.value  # e.g. the read was given up: the PIN pad must go
    job.error_code = "card_removed"
    db.flush()
    failed = revalidate(client, CURRENT, tablet, pin_etag)
    assert first_answer(failed, "no-store") != pin_etag
    assert failed.json()["pin_request"] is None and failed.json()["card_read"]["status"] == "failed"


def test_a_revoked_tablet_gets_401_even_with_the_right_etag(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    tablet = tablet_headers(db, clerk)
    etag = first_answer(client.get(CURRENT, headers=tablet), "no-store")
    device = db.query(Device).filter(Device.token_hash == hash_token(TABLET_TOKEN)).one()
    device.revoked_at = utcnow()
    db.flush()
    assert revalidate(client, CURRENT, tablet, etag).status_code == 401


def test_the_signature_wait_is_304_until_signed_or_changed(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = moving_in_visit(clerk, db)
    url = f"/api/v1/tablet/visits/{vid}/signature-wait"
    clerk.post(f"/api/v1/visits/{vid}/confirm")
    # No personal data: the browser may keep it, and revalidates it on every poll.
    etag = first_answer(client.get(url), "no-cache")
    assert_not_modified(revalidate(client, url, {}, etag), etag)
    clerk.patch(f"/api/v1/visits/{vid}", {"new_address": "窓口デモ市中央一丁目９番９号"})
    changed = revalidate(client, url, {}, etag)
    assert first_answer(changed, "no-cache") != etag and changed.json()["status"] == "open"
    # The clerk logged out: 401, not 304.
    assert clerk.post("/api/v1/auth/logout").status_code == 204
    assert revalidate(client, url, {}, changed.headers["etag"]).status_code == 401


def test_the_device_polls_are_304_until_a_device_changes(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    query = f"?counter_id={clerk.counter.id}"
    tablet_url, agent_url = f"/api/v1/tablet/status{query}", f"/api/v1/agent/status{query}"
    tablet_etag = first_answer(client.get(tablet_url), "no-cache")
    agent_etag = first_answer(client.get(agent_url), "no-cache")
    assert_not_modified(revalidate(client, tablet_url, {}, tablet_etag), tablet_etag)
    assert_not_modified(revalidate(client, agent_url, {}, agent_etag), agent_etag)

    tablet = tablet_headers(db, clerk)  # a tablet paired…
    paired = revalidate(client, tablet_url, {}, tablet_etag)
    assert first_answer(paired, "no-cache") != tablet_etag
    assert paired.json() == {"paired": True, "online": False}
    client.get(CURRENT, headers=tablet)  # …and there (it polled just now)
    online = revalidate(client, tablet_url, {}, paired.headers["etag"])
    assert online.status_code == 200 and online.json() == {"paired": True, "online": True}

    add_agent(db, clerk)
    agent = revalidate(client, agent_url, {}, agent_etag)
    assert first_answer(agent, "no-cache") != agent_etag and agent.json()["paired"] is True


def test_a_member_changed_while_on_the_tablet_is_shown_at_once(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    """Written behind the API (the visit stays on the tablet): only the member's row changes."""
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    clerk.post(f"/api/v1/visits/{vid}/confirm")
    etag = first_answer(client.get(CURRENT, headers=tablet), "no-store")
    member = db.scalars(select(HouseholdMember).where(HouseholdMember.visit_id == vid)).one()
    member.name = "黒桐　幹也子"
    db.flush()
    changed = revalidate(client, CURRENT, tablet, etag)
    assert first_answer(changed, "no-store") != etag
    assert changed.json()["visit"]["record"]["members"][0]["name"] == "黒桐　幹也子"
