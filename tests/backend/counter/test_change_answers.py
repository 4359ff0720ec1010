"""A change's answer carries what the staff console would fetch right after it (issue 17):
the visit exactly as ``GET /visits/{id}`` shows it, and the guidance exactly as
``POST /visits/{id}/guidance`` returns it — each compared here with those requests made
after the change."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.counter import documents
from backend.platform.access import ROLE_PERMISSIONS, Permission, Role
from tests.backend.counter.conftest import Clerk
from tests.backend.counter.test_visits_api import _views, add_card_member, open_visit

MOVING_IN = {"event": "moving-in", "event_date": "2026-11-20", "filed_on": "2026-11-24"}


def _fetched(clerk: Clerk, vid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the console fetched after a change: the visit, then its guidance."""
    visit = clerk.get(f"/api/v1/visits/{vid}")
    guidance = clerk.post(f"/api/v1/visits/{vid}/guidance")
    assert visit.status_code == 200 and guidance.status_code == 200, guidance.text
    return visit.json(), guidance.json()


def _visit_with_members(clerk: Clerk, db: Session) -> str:
    vid = str(open_visit(clerk)["id"])
    add_card_member(db, vid)
    db.commit()
    return vid


def test_a_visit_change_answers_the_visit_and_its_guidance(clerk: Clerk, db: Session) -> None:
    vid = _visit_with_members(clerk, db)
    response = clerk.patch(f"/api/v1/visits/{vid}", MOVING_IN)
    assert response.status_code == 200, response.text
    answer = response.json()
    guidance = answer.pop("guidance")
    visit, fetched_guidance = _fetched(clerk, vid)
    assert answer == visit
    assert guidance == fetched_guidance
    assert guidance["procedures"] and guidance["questions"]  # something worth comparing


def test_answers_answer_the_visit_and_the_guidance_they_change(clerk: Clerk, db: Session) -> None:
    vid = _visit_with_members(clerk, db)
    before = clerk.patch(f"/api/v1/visits/{vid}", MOVING_IN).json()["guidance"]
    question = before["questions"][0]
    value: object = False if question["type"] == "bool" else "JP"
    response = clerk.post(f"/api/v1/visits/{vid}/answers", {"answers": {question["id"]: value}})
    assert response.status_code == 200, response.text
    answer = response.json()
    guidance = answer.pop("guidance")
    visit, fetched_guidance = _fetched(clerk, vid)
    assert answer == visit
    assert guidance == fetched_guidance
    assert question["id"] not in [q["id"] for q in guidance["questions"]]  # the new state's


def test_a_member_change_answers_the_member_the_visit_and_the_guidance(
    clerk: Clerk, db: Session
) -> None:
    vid = _visit_with_members(clerk, db)
    clerk.patch(f"/api/v1/visits/{vid}", MOVING_IN)
    added = clerk.post(f"/api/v1/visits/{vid}/members", {"name": "窓口　花子", "sex": "2"})
    assert added.status_code == 201, added.text
    assert added.json()["visit"] == _fetched(clerk, vid)[0]
    member = added.json()["id"]
    response = clerk.patch(f"/api/v1/visits/{vid}/members/{member}", {"relationship": "妻"})
    assert response.status_code == 200, response.text
    answer = response.json()
    # The member's fields, as the route answered before.
    assert answer["id"] == member and answer["relationship"] == "妻"
    assert answer["name"] == "窓口　花子" and answer["source"] == "staff"
    visit, fetched_guidance = _fetched(clerk, vid)
    assert answer["visit"] == visit
    assert answer["guidance"] == fetched_guidance
    assert [m["relationship"] for m in visit["members"]][-1] == "妻"


def test_no_guidance_before_an_event_is_chosen(clerk: Clerk, db: Session) -> None:
    vid = _visit_with_members(clerk, db)
    answer = clerk.patch(f"/api/v1/visits/{vid}", {"new_address": "窓口デモ市中央一丁目"}).json()
    assert answer["guidance"] is None and answer["new_address"] == "窓口デモ市中央一丁目"


def test_no_guidance_for_a_caller_who_may_not_use_it(
    clerk: Clerk, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    vid = _visit_with_members(clerk, db)
    without = ROLE_PERMISSIONS[Role.CLERK] - {Permission.GUIDANCE_USE}
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.CLERK, without)
    answer = clerk.patch(f"/api/v1/visits/{vid}", MOVING_IN).json()
    assert answer["guidance"] is None and answer["event"] == "moving-in"
    assert clerk.post(f"/api/v1/visits/{vid}/guidance").status_code == 403


def test_a_member_change_is_a_view_audited_like_the_get_it_replaces(
    clerk: Clerk, db: Session
) -> None:
    vid = _visit_with_members(clerk, db)
    clerk.get(f"/api/v1/visits/{vid}")
    member = clerk.get(f"/api/v1/visits/{vid}").json()["members"][0]["id"]
    assert _views(db, vid) == 1
    clerk.patch(f"/api/v1/visits/{vid}/members/{member}", {"kana": "タカハシ サキコ"})
    assert _views(db, vid) == 2  # the changed visit it answered
    clerk.get(f"/api/v1/visits/{vid}")
    assert _views(db, vid) == 2  # the same version: already audited


def test_the_guidance_is_built_once_for_the_change_and_what_follows(
    clerk: Clerk, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer's guidance is kept under the state the change left: the forms, a preview or
    the guidance asked for afterwards find it instead of building it again."""
    vid = _visit_with_members(clerk, db)
    built: list[str] = []
    build = documents.build_prepared

    def counted(session: Session, visit: Any) -> documents.Prepared:
        built.append(visit.id)
        return build(session, visit)

    monkeypatch.setattr(documents, "build_prepared", counted)
    clerk.patch(f"/api/v1/visits/{vid}", MOVING_IN)
    assert built == [vid]
    clerk.post(f"/api/v1/visits/{vid}/guidance")
    clerk.get(f"/api/v1/visits/{vid}/forms")
    assert built == [vid]


def test_the_visit_with_its_guidance_is_the_get_and_the_guidance_in_one_request(
    clerk: Clerk, db: Session
) -> None:
    """The console's refresh after a card read and after the signature: one request where it
    made two, answering what the two answered, and audited as the GET."""
    vid = _visit_with_members(clerk, db)
    before = clerk.get(f"/api/v1/visits/{vid}/with-guidance")
    assert before.status_code == 200, before.text
    assert before.json()["guidance"] is None  # no event chosen yet
    assert _views(db, vid) == 1
    clerk.patch(f"/api/v1/visits/{vid}", MOVING_IN)
    answer = clerk.get(f"/api/v1/visits/{vid}/with-guidance").json()
    guidance = answer.pop("guidance")
    assert answer.pop("documents") is None  # only when asked for (?documents=true)
    visit, fetched_guidance = _fetched(clerk, vid)
    assert answer == visit and guidance == fetched_guidance
    assert guidance["procedures"]
    assert _views(db, vid) == 2  # the changed version, seen once


def test_the_visit_with_its_guidance_of_an_unknown_visit_is_not_found(clerk: Clerk) -> None:
    missing = clerk.get("/api/v1/visits/no-such-visit/with-guidance")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "visit_not_found"
