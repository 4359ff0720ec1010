"""The visits API: open, members (card fields read-only), the canonical record, the journey."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.models import Visit
from backend.counter.states import VisitStatus
from backend.platform.audit.models import AuditEvent
from backend.queue.models import Queue, Ticket
from contracts import VisitRecord
from tests.backend.counter.conftest import Clerk, login

# Synthetic card text with characters a normaliser would change: 髙 and 﨑 (CJK compatibility),
# an ideographic variation sequence (葛 + U+E0100) and full-width digits.
CARD_NAME = "髙橋　﨑子"
CARD_ADDRESS = "東京都清瀬市観布子南１２－７－２０２　葛\U000e0100飾荘"


def open_visit(clerk: Clerk, **body: object) -> dict:  # type: ignore[type-arg]
    response = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id, **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def add_card_member(db: Session, visit_id: str) -> str:
    visit = service.get_visit(db, visit_id)
    card = service.CardFields(CARD_NAME, CARD_ADDRESS, "19800217", "2")
    return service.add_card_member(db, visit, card, job_id=None).id


def test_open_a_visit_records_the_first_event(clerk: Clerk) -> None:
    visit = open_visit(clerk)
    assert visit["status"] == VisitStatus.OPEN and visit["counter_id"] == clerk.counter.id
    journey = clerk.get(f"/api/v1/visits/{visit['id']}/journey").json()
    assert [e["kind"] for e in journey["events"]] == ["visit.opened"]


def test_open_from_a_called_ticket_measures_the_wait(clerk: Clerk, db: Session) -> None:
    from backend.queue import service as queue_service

    queue = db.scalars(select(Queue).where(Queue.prefix == "A")).one()
    issued = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo, a Tuesday
    db.info["tenant_id"] = clerk.tenant.id
    ticket = queue_service.issue_ticket(db, queue_id=queue.id, now=issued)
    queue_service.set_counter_open(db, clerk.counter.id, True)
    called = queue_service.call_next(db, clerk.counter.id, now=issued + dt.timedelta(minutes=9))
    assert called is not None and called.id == ticket.id
    db.info["tenant_id"] = None
    visit = open_visit(clerk, ticket_id=ticket.id, counter_id=None)
    assert visit["ticket_number"] == ticket.display_number
    assert visit["counter_id"] == clerk.counter.id  # taken from the ticket
    journey = clerk.get(f"/api/v1/visits/{visit['id']}/journey").json()
    assert [e["kind"] for e in journey["events"]][:3] == [
        "ticket.issued",
        "ticket.called",
        "visit.opened",
    ]
    assert journey["wait_seconds"] == 9 * 60
    assert db.get(Ticket, ticket.id).status == "serving"  # type: ignore[union-attr]
    clerk.post(f"/api/v1/visits/{visit['id']}/close")
    assert db.get(Ticket, ticket.id).status == "done"  # type: ignore[union-attr]


def test_unknown_ticket_is_refused(clerk: Clerk) -> None:
    response = clerk.post("/api/v1/visits", {"ticket_id": "nope"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ticket_not_found"


def test_fill_in_and_assemble_the_canonical_record(clerk: Clerk, db: Session) -> None:
    visit = open_visit(clerk)
    vid = visit["id"]
    card_member = add_card_member(db, vid)
    typed = clerk.post(
        f"/api/v1/visits/{vid}/members",
        {
            "name": "髙橋　花",
            "kana": "タカハシ　ハナ",
            "birth_date": "2019-05-01",
            "sex": "2",
            "relationship": "子",
            "nationality": "JP",
            "insurance": "employee",
        },
    )
    assert typed.status_code == 201, typed.text
    assert typed.json()["source"] == "staff" and typed.json()["read_only_fields"] == []
    response = clerk.patch(
        f"/api/v1/visits/{vid}",
        {
            "event": "moving-in",
            "event_date": "2026-11-20",
            "filed_on": "2026-11-24",
            "previous_address": CARD_ADDRESS,
            "new_address": "窓口デモ市中央一丁目２番３号",
            "household_head": CARD_NAME,
            "applicant": {"name": CARD_NAME, "relationship": "本人"},
            "facts": {"has_dog": False},
            "certificates": [
                {"kind": "residence", "copies": 1, "scope": "household"},
                {"kind": "tax", "fiscal_year": 2026, "tax_kind": "income_taxation"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    clerk.patch(
        f"/api/v1/visits/{vid}/members/{card_member}",
        {"kana": "タカハシ　サキコ", "relationship": "世帯主"},
    )
    record_json = clerk.get(f"/api/v1/visits/{vid}/record").json()
    record = VisitRecord.model_validate(record_json)
    assert record_json["schema"] == "madoguchi.visit/1"
    assert record.visit_id == vid and record.tenant.code == "991007"
    first, second = record.members
    assert first.source == "card" and second.source == "staff"
    # Exactly as read: code point for code point.
    assert first.name == CARD_NAME and first.address == CARD_ADDRESS
    assert [hex(ord(c)) for c in first.address or ""] == [hex(ord(c)) for c in CARD_ADDRESS]
    assert first.birth_date == dt.date(1980, 2, 17) and first.sex == "2"
    assert first.kana == "タカハシ　サキコ" and first.relationship == "世帯主"
    assert second.insurance == "employee" and second.birth_date == dt.date(2019, 5, 1)
    assert record.facts == {"has_dog": False}
    assert [c.kind for c in record.certificates] == ["residence", "tax"]


def test_card_fields_cannot_be_edited(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk)["id"]
    member_id = add_card_member(db, vid)
    member = clerk.get(f"/api/v1/visits/{vid}").json()["members"][0]
    assert member["read_only_fields"] == ["name", "address", "birth_date", "sex"]
    for field, value in [
        ("name", "高橋　崎子"),
        ("address", "x"),
        ("birth_date", "1980-02-18"),
        ("sex", "1"),
    ]:
        response = clerk.patch(f"/api/v1/visits/{vid}/members/{member_id}", {field: value})
        assert response.status_code == 409, field
        assert response.json()["error"]["code"] == "card_field_read_only"
        assert response.json()["error"]["fields"] == [field]
    assert clerk.get(f"/api/v1/visits/{vid}").json()["members"][0]["name"] == CARD_NAME


def test_staff_cannot_create_a_card_member(clerk: Clerk) -> None:
    vid = open_visit(clerk)["id"]
    response = clerk.post(f"/api/v1/visits/{vid}/members", {"name": "偽　名", "source": "card"})
    assert response.status_code == 422


def test_remove_a_member_renumbers(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk)["id"]
    first = add_card_member(db, vid)
    clerk.post(f"/api/v1/visits/{vid}/members", {"name": "二番目　太郎"})
    assert clerk.delete(f"/api/v1/visits/{vid}/members/{first}").status_code == 204
    members = clerk.get(f"/api/v1/visits/{vid}").json()["members"]
    assert [(m["name"], m["position"]) for m in members] == [("二番目　太郎", 0)]


def test_record_needs_an_event(clerk: Clerk) -> None:
    vid = open_visit(clerk)["id"]
    response = clerk.get(f"/api/v1/visits/{vid}/record")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "visit_incomplete"


def test_an_event_without_dates_is_dated_by_the_municipalitys_calendar(
    clerk: Clerk, db: Session
) -> None:
    """The console sends no date it did not read from the clerk: the server files the event
    today in the tenant's time zone (a browser on UTC would be a day behind Tokyo at night)."""
    vid = open_visit(clerk)["id"]
    today = service.local_today(clerk.tenant)
    chosen = clerk.patch(f"/api/v1/visits/{vid}", {"event": "moving-in"}).json()
    assert chosen["filed_on"] == chosen["event_date"] == today.isoformat()
    typed = clerk.patch(f"/api/v1/visits/{vid}", {"event": "birth", "event_date": "2026-11-18"})
    assert typed.json()["event_date"] == "2026-11-18"  # a typed day is kept
    assert typed.json()["filed_on"] == today.isoformat()


def test_a_closed_visit_is_read_only(clerk: Clerk) -> None:
    vid = open_visit(clerk)["id"]
    closed = clerk.post(f"/api/v1/visits/{vid}/close")
    assert closed.status_code == 200 and closed.json()["status"] == VisitStatus.CLOSED
    again = clerk.patch(f"/api/v1/visits/{vid}", {"event": "birth"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "visit_closed"
    journey = clerk.get(f"/api/v1/visits/{vid}/journey").json()
    assert journey["events"][-1]["kind"] == "visit.closed"
    assert journey["service_seconds"] is not None


def test_journey_counts_cards_and_typed_members(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk)["id"]
    add_card_member(db, vid)
    add_card_member(db, vid)
    clerk.post(f"/api/v1/visits/{vid}/members", {"name": "手入力　一"})
    journey = clerk.get(f"/api/v1/visits/{vid}/journey").json()
    assert journey["cards_read"] == 2 and journey["members_typed"] == 1
    kinds = [e["kind"] for e in journey["events"]]
    assert kinds.count("member.added") == 3
    # Events carry ids, never personal data.
    assert CARD_NAME not in str(journey["events"])


def test_views_of_personal_data_are_audited(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk)["id"]
    clerk.get(f"/api/v1/visits/{vid}")
    clerk.patch(f"/api/v1/visits/{vid}", {"event": "certificate"})
    clerk.get(f"/api/v1/visits/{vid}/record")
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.visit_id == vid)).all()
    assert list(actions) == ["visit.view", "visit.record.view"]


def _views(db: Session, visit_id: str) -> int:
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.visit_id == visit_id)).all()
    return list(actions).count("visit.view")


def test_a_view_is_audited_once_per_session_and_change(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk)["id"]
    for _ in range(3):
        assert clerk.get(f"/api/v1/visits/{vid}").status_code == 200
    assert _views(db, vid) == 1
    clerk.patch(f"/api/v1/visits/{vid}", {"event": "certificate"})
    clerk.get(f"/api/v1/visits/{vid}")
    clerk.get(f"/api/v1/visits/{vid}")
    assert _views(db, vid) == 2  # the changed visit is a new view
    add_card_member(db, vid)
    db.commit()
    clerk.get(f"/api/v1/visits/{vid}")
    assert _views(db, vid) == 3  # so is a member added
    clerk.csrf = login(clerk.client, "clerk")  # another login session
    clerk.get(f"/api/v1/visits/{vid}")
    clerk.get(f"/api/v1/visits/{vid}")
    assert _views(db, vid) == 4


def test_personal_fields_are_encrypted_at_rest(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk)["id"]
    add_card_member(db, vid)
    raw = db.execute(
        text("SELECT name, address FROM household_members WHERE visit_id = :v"), {"v": vid}
    ).one()
    assert CARD_NAME not in raw[0] and "清瀬" not in raw[1]


def test_back_office_may_read_but_not_write(clerk: Clerk) -> None:
    vid = open_visit(clerk)["id"]
    csrf = login(clerk.client, "backoffice")
    assert clerk.client.get(f"/api/v1/visits/{vid}").status_code == 200
    response = clerk.client.patch(
        f"/api/v1/visits/{vid}", json={"event": "birth"}, headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 403


def test_anonymous_callers_are_refused(client, demo) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/visits").status_code == 401


def test_another_tenants_visit_is_not_found(clerk: Clerk, db: Session) -> None:
    from backend.identity.tenants.models import Tenant

    other = Tenant(code="131016", name="千代田区")
    db.add(other)
    db.flush()
    db.info["tenant_id"] = other.id
    foreign = Visit(tenant_id=other.id, status=VisitStatus.OPEN, facts={}, certificates=[])
    db.add(foreign)
    db.flush()
    db.info["tenant_id"] = None
    response = clerk.get(f"/api/v1/visits/{foreign.id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "visit_not_found"


def test_list_visits(clerk: Clerk) -> None:
    vid = open_visit(clerk)["id"]
    listed = clerk.get("/api/v1/visits", params={"status": VisitStatus.OPEN}).json()
    assert vid in [v["id"] for v in listed]


def test_typed_dates_follow_the_staff_screens_rule(clerk: Clerk) -> None:
    """The first day of 明治 is the first day a form can print; the screen refuses earlier."""
    vid = open_visit(clerk)["id"]
    before = clerk.post(
        f"/api/v1/visits/{vid}/members",
        {"name": "日付　確認", "birth_date": "1868-01-24"},
    )
    assert before.status_code == 422
    assert before.json()["error"]["code"] == "validation_failed"
    assert [f["field"] for f in before.json()["error"]["fields"]] == ["body.birth_date"]
    first_day = clerk.post(
        f"/api/v1/visits/{vid}/members",
        {"name": "日付　確認", "birth_date": "1868-01-25"},
    )
    assert first_day.status_code == 201, first_day.text
    assert clerk.patch(f"/api/v1/visits/{vid}", {"event_date": "1800-01-01"}).status_code == 422


def test_the_signature_wait_poll_shows_no_personal_data(clerk: Clerk, db: Session) -> None:
    vid = open_visit(clerk)["id"]
    add_card_member(db, vid)
    response = clerk.get(f"/api/v1/tablet/visits/{vid}/signature-wait")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == VisitStatus.OPEN and set(body["tablet"]) == {"paired", "online"}
    assert CARD_NAME not in response.text and _views(db, vid) == 0  # nothing to audit
    missing = clerk.get("/api/v1/tablet/visits/0123456789abcdef0123456789abcdef/signature-wait")
    assert missing.status_code == 404
