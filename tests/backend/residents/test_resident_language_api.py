"""Issue 20's last gaps: queue names in the six resident languages on every resident screen and
the slip, the ticket machine printing the pre-entry QR, and the tablet opening in the
resident's language (the pre-entry's, else the ticket's)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.queue import printing
from backend.queue.models import Queue, Ticket
from backend.residents.models import PreEntry, ResidentServiceSettings
from backend.seed import DEMO_TENANT_CODE
from tests.helpers.residents import World, staff_headers, ticket_machine

BASE = f"/api/v1/public/{DEMO_TENANT_CODE}"
TABLET_TOKEN = "dev_tablet_for_language_tests_0123456789"
PREENTRY = {
    "lang": "vi",
    "event": "moving-in",
    "members": [
        {"name": "グエン　ティ　ラン", "birth_date": "1992-05-01", "sex": "2",
         "relationship": "妻", "nationality": "VN"},
    ],
}  # fmt: skip


def _issue(client: TestClient, machine: dict[str, str], queue_id: str, lang: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/tickets", json={"queue_id": queue_id, "lang": lang}, headers=machine
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


# --- 1. queue names in six languages ------------------------------------------------------


def test_the_demo_queues_are_named_in_all_six_languages(
    client: TestClient, db: Session, world: World
) -> None:
    machine = ticket_machine(db, world)
    queues = client.get("/api/v1/ticket-machine/queues", headers=machine).json()["queues"]
    names = {q["prefix"]: q["names"] for q in queues}
    assert names["B"] == {
        "ja": "証明書", "en": "Certificates", "zh-Hans": "证明书", "ko": "증명서",
        "vi": "Giấy chứng nhận", "pt": "Certidões",
    }  # fmt: skip
    assert names["A"]["vi"] == "Chuyển đến / Chuyển đi"
    board = client.get("/api/v1/board", headers=staff_headers(client)).json()
    assert {q["prefix"]: q["names"]["ko"] for q in board["queues"]}["C"] == "국민건강보험・연금"


def test_a_korean_ticket_names_its_queue_in_korean_on_the_slip_and_the_phone(
    client: TestClient, db: Session, world: World, fake_printer: printing.FakeTicketPrinter
) -> None:
    machine = ticket_machine(db, world)
    body = _issue(client, machine, world.queue.id, "ko")
    assert body["queue_names"]["ko"] == "전입・전출・전거"
    job = fake_printer.jobs[-1]
    assert (job.lang, job.queue_name_local, job.queue_name_ja) == (
        "ko",
        "전입・전출・전거",
        world.queue.name_ja,
    )
    ticket = db.scalars(select(Ticket).where(Ticket.id == body["ticket"]["id"])).one()
    assert ticket.lang == "ko"
    follow = client.get(f"/api/v1/follow/{ticket.follow_token}").json()
    assert follow["lang"] == "ko" and follow["queue_names"]["ko"] == "전입・전출・전거"


def test_an_empty_translation_falls_back_to_english_then_japanese(
    client: TestClient, db: Session, world: World, fake_printer: printing.FakeTicketPrinter
) -> None:
    admin = staff_headers(client, "admin")
    changed = client.patch(
        f"/api/v1/setup/queues/{world.queue.id}",
        json={"name_translations": {"pt": " Mudança ", "vi": ""}},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    saved = next(q for q in changed.json()["queues"] if q["id"] == world.queue.id)
    assert saved["name_translations"] == {"pt": "Mudança"}  # trimmed, the blank one dropped
    machine = ticket_machine(db, world)
    queues = client.get("/api/v1/ticket-machine/queues", headers=machine).json()["queues"]
    names = next(q["names"] for q in queues if q["id"] == world.queue.id)
    assert names["pt"] == "Mudança"
    assert names["vi"] == names["zh-Hans"] == names["ko"] == "Moving in / out"
    _issue(client, machine, world.queue.id, "vi")
    assert fake_printer.jobs[-1].queue_name_local == "Moving in / out"

    queue = db.scalars(select(Queue).where(Queue.id == world.queue.id)).one()
    queue.name_en = ""  # only possible in the database: the API requires an English name
    assert queue.name_in("vi") == queue.name_in("en") == queue.name_ja


def test_the_admin_adds_a_queue_with_its_translations_and_unknown_languages_are_refused(
    client: TestClient, world: World
) -> None:
    admin = staff_headers(client, "admin")
    created = client.post(
        f"/api/v1/setup/offices/{world.office.id}/queues",
        json={"prefix": "D", "name_ja": "税", "name_en": "Taxes",
              "name_translations": {"ko": "세금", "zh-Hans": "税务"}},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    queue = next(q for q in created.json()["queues"] if q["prefix"] == "D")
    assert queue["name_translations"] == {"ko": "세금", "zh-Hans": "税务"}
    refused = client.patch(
        f"/api/v1/setup/queues/{queue['id']}",
        json={"name_translations": {"fr": "Impôts"}},
        headers=admin,
    )
    assert refused.status_code == 422, refused.text


# --- 2. the ticket machine prints the pre-entry QR ------------------------------------------


def test_the_ticket_machine_prints_the_preentry_page_in_the_residents_language(
    client: TestClient, db: Session, world: World, fake_printer: printing.FakeTicketPrinter
) -> None:
    machine = ticket_machine(db, world)
    response = client.post(
        "/api/v1/ticket-machine/resident-links/print", json={"lang": "zh-Hans"}, headers=machine
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "printed", "printed": True, "message": ""}
    slip = fake_printer.slips[-1]
    assert (slip.kind, slip.lang) == ("page", "zh-Hans")
    # the page names Chinese "zh"; the code of the municipality is in the fragment
    assert slip.qr_content.endswith(f"/pre/?lang=zh#{DEMO_TENANT_CODE}")


def test_the_machines_onscreen_qr_opens_the_page_in_the_chosen_language(
    client: TestClient, db: Session, world: World
) -> None:
    machine = ticket_machine(db, world)
    links = client.get("/api/v1/ticket-machine/resident-links?lang=ko", headers=machine).json()
    assert links["url"].endswith(f"/pre/?lang=ko#{DEMO_TENANT_CODE}")
    plain = client.get("/api/v1/ticket-machine/resident-links", headers=machine).json()
    assert plain["url"].endswith(f"/pre/#{DEMO_TENANT_CODE}")


def test_a_preentry_finished_on_the_machine_prints_its_code_once_usable(
    client: TestClient, db: Session, world: World, fake_printer: printing.FakeTicketPrinter
) -> None:
    machine = ticket_machine(db, world)
    code = client.post(f"{BASE}/preentries", json=PREENTRY).json()["code"]
    url = "/api/v1/ticket-machine/resident-links/print"
    printed = client.post(url, json={"lang": "vi", "code": code}, headers=machine)
    assert printed.status_code == 200, printed.text
    assert (fake_printer.slips[-1].kind, fake_printer.slips[-1].qr_content) == ("preentry", code)

    entry = db.scalars(select(PreEntry)).one()
    entry.used_at = entry.created_at  # a clerk has opened a visit from it since
    db.flush()
    used = client.post(url, json={"lang": "vi", "code": code}, headers=machine)
    assert used.status_code == 409 and used.json()["error"]["code"] == "preentry_used"
    unknown = client.post(url, json={"lang": "vi", "code": "PE-2222-3333-4444"}, headers=machine)
    assert unknown.status_code == 404
    assert len(fake_printer.slips) == 1


def test_printing_the_qr_needs_a_ticket_machine_and_the_service_on(
    client: TestClient, db: Session, world: World, fake_printer: printing.FakeTicketPrinter
) -> None:
    url = "/api/v1/ticket-machine/resident-links/print"
    assert client.post(url, json={"lang": "en"}).status_code == 401
    machine = ticket_machine(db, world)
    db.scalars(select(ResidentServiceSettings)).one().preentry_enabled = False
    db.flush()
    assert client.post(url, json={"lang": "en"}, headers=machine).status_code == 404
    assert fake_printer.slips == []


def test_no_printer_is_an_answer_not_an_error(
    client: TestClient, db: Session, world: World
) -> None:
    previous = printing.set_ticket_printer(printing.NoTicketPrinter())
    try:
        response = client.post(
            "/api/v1/ticket-machine/resident-links/print",
            json={"lang": "pt"},
            headers=ticket_machine(db, world),
        )
    finally:
        printing.set_ticket_printer(previous)
    assert response.status_code == 200
    assert response.json()["status"] == "not_configured" and not response.json()["printed"]


# --- 3. the tablet opens in the resident's language ----------------------------------------


def _tablet(db: Session, world: World) -> dict[str, str]:
    db.add(
        Device(
            tenant_id=world.tenant.id,
            kind=DeviceKind.TABLET.value,
            name="tablet 1",
            counter_id=world.counter.id,
            token_hash=hash_token(TABLET_TOKEN),
        )
    )
    db.flush()
    return {"authorization": f"Bearer {TABLET_TOKEN}"}


def test_a_vietnamese_preentrys_visit_opens_the_tablet_in_vietnamese(
    client: TestClient, db: Session, world: World
) -> None:
    tablet = _tablet(db, world)
    headers = staff_headers(client)
    visit = client.post("/api/v1/visits", json={"counter_id": world.counter.id}, headers=headers)
    assert client.get("/api/v1/tablet/current", headers=tablet).json()["resident_lang"] is None
    code = client.post(f"{BASE}/preentries", json=PREENTRY).json()["code"]
    applied = client.post(
        f"/api/v1/visits/{visit.json()['id']}/preentry", json={"code": code}, headers=headers
    )
    assert applied.status_code == 200, applied.text
    view = client.get("/api/v1/tablet/current", headers=tablet).json()
    assert view["resident_lang"] == "vi" and view["visit_id"] == visit.json()["id"]


def test_a_chinese_preentry_says_zh_hans_to_the_tablet(
    client: TestClient, db: Session, world: World
) -> None:
    tablet = _tablet(db, world)
    headers = staff_headers(client)
    visit_id = client.post(
        "/api/v1/visits", json={"counter_id": world.counter.id}, headers=headers
    ).json()["id"]
    code = client.post(f"{BASE}/preentries", json={**PREENTRY, "lang": "zh"}).json()["code"]
    client.post(f"/api/v1/visits/{visit_id}/preentry", json={"code": code}, headers=headers)
    assert client.get("/api/v1/tablet/current", headers=tablet).json()["resident_lang"] == "zh-Hans"


def test_a_visit_from_a_portuguese_ticket_opens_the_tablet_in_portuguese(
    client: TestClient, db: Session, world: World, fake_printer: printing.FakeTicketPrinter
) -> None:
    tablet = _tablet(db, world)
    ticket = _issue(client, ticket_machine(db, world), world.queue.id, "pt")["ticket"]
    headers = staff_headers(client)
    called = client.post(f"/api/v1/counters/{world.counter.id}/call-next", headers=headers)
    assert called.json()["ticket"]["id"] == ticket["id"], called.text
    opened = client.post("/api/v1/visits", json={"ticket_id": ticket["id"]}, headers=headers)
    assert opened.status_code == 201, opened.text
    assert client.get("/api/v1/tablet/current", headers=tablet).json()["resident_lang"] == "pt"
