"""Which writes wake the counter's waits (``backend.counter.wake``): the clerk's edits of a
visit still with them change nothing a waiting tablet or signature wait shows, so they wake
nobody; a visit opened, sent to the tablet, or changed while on it does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.counter import wake
from backend.platform import notifier
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import moving_in_visit, tablet_headers

CURRENT = "/api/v1/tablet/current"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch, db: Session) -> Iterator[list[str]]:
    """The keys published, request by request: the test's requests share one transaction, so
    its memory of the keys already published is cleared before each look at the list."""
    keys: list[str] = []
    real = notifier.publish

    def spy(session: Session, key: str) -> None:
        keys.append(key)
        real(session, key)

    monkeypatch.setattr(notifier, "publish", spy)
    yield keys


def _fresh(db: Session, keys: list[str]) -> None:
    db.info.pop("woken_counters", None)
    keys.clear()


def test_the_clerks_edits_wake_nobody_and_the_tablet_is_shown_nothing_new(
    clerk: Clerk, db: Session, client: TestClient, published: list[str]
) -> None:
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    key = wake.counter_key(clerk.counter.id)
    welcome = client.get(CURRENT, headers=tablet)
    assert welcome.status_code == 200 and welcome.json()["visit"] is None

    _fresh(db, published)
    edited = clerk.patch(f"/api/v1/visits/{vid}", {"new_address": "窓口デモ市中央二丁目４番５号"})
    assert edited.status_code == 200, edited.text
    member = clerk.get(f"/api/v1/visits/{vid}").json()["members"][0]
    renamed = clerk.patch(f"/api/v1/visits/{vid}/members/{member['id']}", {"nationality": "JP"})
    assert renamed.status_code == 200, renamed.text
    assert key not in published
    # ... and rightly: the tablet's answer is unchanged (a 304 for the ETag it holds).
    etag = {"if-none-match": welcome.headers["etag"]}
    assert client.get(CURRENT, headers={**tablet, **etag}).status_code == 304

    _fresh(db, published)
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    assert key in published
    shown = client.get(CURRENT, headers={**tablet, **etag})
    assert shown.status_code == 200 and shown.json()["visit"]["id"] == vid


def test_a_new_visit_and_a_change_of_language_wake_the_counter(
    clerk: Clerk, db: Session, published: list[str]
) -> None:
    key = wake.counter_key(clerk.counter.id)
    _fresh(db, published)
    vid = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id}).json()["id"]
    assert key in published

    visit = db.get(wake.Visit, vid)
    assert visit is not None
    _fresh(db, published)
    visit.resident_lang = "vi"  # the welcome greets the resident in their language
    db.flush()
    assert key in published
