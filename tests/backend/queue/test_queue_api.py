from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.identity.devices.models import DeviceKind
from backend.platform.access import DeviceRef
from backend.platform.audit import service as audit
from backend.queue import printing
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from tests.backend.queue.conftest import DemoOffice, make_device
from tests.helpers.sql import statements


@pytest.fixture
def fake_printer() -> Iterator[printing.FakeTicketPrinter]:
    fake = printing.FakeTicketPrinter()
    previous = printing.set_ticket_printer(fake)
    yield fake
    printing.set_ticket_printer(previous)


@pytest.fixture
def always_open(office: DemoOffice, db: Session) -> DemoOffice:
    office.office.opens_at, office.office.closes_at = "00:00", "24:00"
    db.flush()
    return office


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _staff(client: TestClient) -> dict[str, str]:
    body = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
    ).json()
    return {"x-csrf-token": body["csrf_token"]}


def test_ticket_machine_issues_and_prints(
    client: TestClient,
    db: Session,
    always_open: DemoOffice,
    fake_printer: printing.FakeTicketPrinter,
) -> None:
    machine = _bearer(make_device(db, always_open, DeviceKind.TICKET_MACHINE))
    queues = client.get("/api/v1/ticket-machine/queues", headers=machine).json()["queues"]
    assert [q["prefix"] for q in queues] == ["A", "B", "C"]
    response = client.post("/api/v1/tickets", json={"queue_id": queues[1]["id"]}, headers=machine)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ticket"]["display_number"] == "B-001"
    assert body["print"] == {"status": "printed", "printed": True, "message": ""}
    assert fake_printer.jobs[0].display_number == "B-001"
    assert "/follow/#" in body["follow_url"]


def test_the_queues_number_is_taken_after_every_read_of_the_issue(
    client: TestClient,
    db: Session,
    always_open: DemoOffice,
    fake_printer: printing.FakeTicketPrinter,
) -> None:
    """The number's row stays locked until the COMMIT and every ticket of the queue waits for
    it, so the issue reads the office (waiting tickets, counters, recent services) before it
    takes the number: after that only its own writes (4.9 issues waited on the lock on average
    at 64 counters on two processes when the office was read under it). The slip still counts
    the tickets ahead and the new one among the waiting."""
    machine = _bearer(make_device(db, always_open, DeviceKind.TICKET_MACHINE))
    queue_id = always_open.queues["A"].id
    first = client.post("/api/v1/tickets", json={"queue_id": queue_id}, headers=machine)
    assert first.status_code == 201, first.text
    with statements(db) as sent:
        second = client.post("/api/v1/tickets", json={"queue_id": queue_id}, headers=machine)
    assert second.status_code == 201, second.text
    numbered = next(i for i, s in enumerate(sent) if s.startswith("UPDATE ticket_sequences"))
    reads = [s for s in sent[numbered + 1 :] if s.startswith("SELECT") and "pg_notify" not in s]
    assert reads == []
    assert any(s.startswith("SELECT tickets.") for s in sent[:numbered])  # the office, before
    assert second.json()["ticket"]["display_number"] == "A-002"
    assert second.json()["people_ahead"] == 1 == fake_printer.jobs[-1].people_ahead
    assert first.json()["people_ahead"] == 0


def test_a_ticket_in_english_prints_and_follows_in_english(
    client: TestClient,
    db: Session,
    always_open: DemoOffice,
    fake_printer: printing.FakeTicketPrinter,
) -> None:
    machine = _bearer(make_device(db, always_open, DeviceKind.TICKET_MACHINE))
    queue_id = always_open.queues["B"].id
    body = client.post(
        "/api/v1/tickets", json={"queue_id": queue_id, "lang": "en"}, headers=machine
    ).json()
    assert fake_printer.jobs[-1].lang == "en"
    assert "/follow/?lang=en#" in body["follow_url"] == fake_printer.jobs[-1].follow_url
    assert body["qr_svg_url"].endswith("?lang=en")
    refused = client.post(
        "/api/v1/tickets", json={"queue_id": queue_id, "lang": "xx"}, headers=machine
    )
    assert refused.status_code == 422


def test_paper_out_falls_back_to_a_qr_code(
    client: TestClient,
    db: Session,
    always_open: DemoOffice,
    fake_printer: printing.FakeTicketPrinter,
) -> None:
    fake_printer.status = printing.PrintStatus.PAPER_OUT
    machine = _bearer(make_device(db, always_open, DeviceKind.TICKET_MACHINE))
    body = client.post(
        "/api/v1/tickets", json={"queue_id": always_open.queues["A"].id}, headers=machine
    ).json()
    assert body["print"]["status"] == "paper_out" and not body["print"]["printed"]
    svg = client.get(body["qr_svg_url"])
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")


@dataclass
class PrinterWatchingTheUnit(printing.FakeTicketPrinter):
    """Notes, at each ticket it prints, whether the request's unit of work had ended (the
    tests' session provider marks its session ``unscoped`` once the request's unit is over,
    as the request's own session would be closed)."""

    db: Session | None = None
    unit_ended: list[bool] = field(default_factory=list)

    def print_ticket(
        self, device: DeviceRef | None, job: printing.TicketPrintJob
    ) -> printing.PrintOutcome:
        assert self.db is not None
        self.unit_ended.append(bool(self.db.info.get("unscoped")))
        return super().print_ticket(device, job)


class CommitRefused(Exception):
    pass


def test_a_ticket_is_printed_once_committed_and_never_when_its_commit_fails(
    client: TestClient, db: Session, always_open: DemoOffice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow printer must not hold the queue's numbering, and a number rolled back (given
    again to the next resident) must not be on paper already."""
    printer = PrinterWatchingTheUnit(db=db)
    previous = printing.set_ticket_printer(printer)
    try:
        machine = _bearer(make_device(db, always_open, DeviceKind.TICKET_MACHINE))
        queue_id = always_open.queues["B"].id
        issued = client.post("/api/v1/tickets", json={"queue_id": queue_id}, headers=machine)
        assert issued.status_code == 201 and issued.json()["print"]["printed"]
        assert printer.unit_ended == [True]  # committed, its connection and lock let go

        def refuse(_session: Session) -> None:
            raise CommitRefused()

        # The tests' request "commits" by writing the audit events (tests/conftest.py).
        monkeypatch.setattr(audit, "write_pending", refuse)
        with pytest.raises(CommitRefused):
            client.post("/api/v1/tickets", json={"queue_id": queue_id}, headers=machine)
        assert [job.display_number for job in printer.jobs] == ["B-001"]
    finally:
        printing.set_ticket_printer(previous)


def test_outside_hours_the_machine_gets_a_clear_message(
    client: TestClient, db: Session, office: DemoOffice
) -> None:
    office.office.opens_at, office.office.closes_at = "00:00", "00:01"
    machine = _bearer(make_device(db, office, DeviceKind.TICKET_MACHINE))
    response = client.post(
        "/api/v1/tickets", json={"queue_id": office.queues["A"].id}, headers=machine
    )
    if response.status_code == 201:  # the test ran in Tokyo's first minute of the day
        pytest.skip("ran at 00:00 JST")
    error = response.json()["error"]
    assert response.status_code == 409 and error["code"] == "outside_opening_hours"
    assert "受付" in error["message"] and "issu" in error["message_en"]


def test_devices_only_do_their_job(
    client: TestClient, db: Session, always_open: DemoOffice
) -> None:
    display = _bearer(make_device(db, always_open, DeviceKind.DISPLAY))
    queue_id = always_open.queues["A"].id
    assert (
        client.post("/api/v1/tickets", json={"queue_id": queue_id}, headers=display).status_code
        == 403
    )
    assert client.get("/api/v1/board", headers=display).status_code == 200
    assert (
        client.post(
            f"/api/v1/counters/{always_open.counters['1'].id}/call-next", headers=display
        ).status_code
        == 403
    )
    assert client.post("/api/v1/tickets", json={"queue_id": queue_id}).status_code == 401


def test_call_transfer_and_follow_through_the_api(
    client: TestClient,
    db: Session,
    always_open: DemoOffice,
    fake_printer: printing.FakeTicketPrinter,
) -> None:
    machine = _bearer(make_device(db, always_open, DeviceKind.TICKET_MACHINE))
    display = _bearer(make_device(db, always_open, DeviceKind.DISPLAY))
    issued = [
        client.post(
            "/api/v1/tickets", json={"queue_id": always_open.queues["A"].id}, headers=machine
        ).json()
        for _ in range(2)
    ]
    token = issued[1]["follow_url"].split("#", 1)[1]
    before = client.get(f"/api/v1/follow/{token}").json()
    assert before["people_ahead"] == 1 and before["estimated_wait_minutes"] is not None
    staff = _staff(client)
    counter = always_open.counters["2"].id
    first = client.post(f"/api/v1/counters/{counter}/call-next", headers=staff).json()["ticket"]
    assert first["display_number"] == "A-001"
    board = client.get("/api/v1/board", headers=display).json()
    assert board["calls"][0]["display_number"] == "A-001"
    assert board["calls"][0]["counter_code"] == "2"
    assert client.post(f"/api/v1/tickets/{first['id']}/start", headers=staff).status_code == 200
    moved = client.post(
        f"/api/v1/tickets/{first['id']}/transfer",
        json={"queue_id": always_open.queues["C"].id},
        headers=staff,
    ).json()
    assert moved["status"] == "transferred" and moved["issued_at"] == first["issued_at"]
    second = client.post(f"/api/v1/counters/{counter}/call-next", headers=staff).json()["ticket"]
    assert second["id"] == issued[1]["ticket"]["id"]
    now = client.get(f"/api/v1/follow/{token}").json()
    assert now["status"] == "called" and now["counter_code"] == "2"
    journey = client.get(f"/api/v1/tickets/{first['id']}/events", headers=staff).json()
    assert [e["kind"] for e in journey] == ["issued", "called", "serving", "transferred"]


def test_follow_page_needs_the_token_not_the_number(
    client: TestClient, always_open: DemoOffice
) -> None:
    assert client.get("/api/v1/follow/A-001").status_code == 404
    assert client.get("/api/v1/follow/" + "x" * 32).status_code == 404


def test_openapi_documents_the_queue_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/tickets", "/api/v1/counters/{counter_id}/call-next", "/api/v1/board",
                 "/api/v1/follow/{token}", "/api/v1/queues"):  # fmt: skip
        assert path in paths
    issue = paths["/api/v1/tickets"]["post"]["responses"]["201"]["content"]["application/json"]
    assert issue["schema"]["$ref"].endswith("/IssuedTicket")
