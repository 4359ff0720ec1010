"""What the ticket machine's and the counter's queue requests send to the database (issue 17).

Pinned: each row the request needs is read once (the tenant, the office, the queue), the wait
estimates read the recent services of all the queues in one statement, and a ticket changes
state in one guarded ``UPDATE … RETURNING`` (no read, no locked re-read). The device's and the
staff session's own statements (authentication) are not counted here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.identity.devices.models import DeviceKind
from backend.identity.tenants.models import Counter
from backend.platform import request_memo
from backend.platform.access import Principal
from backend.queue import printing, screens, service, status
from backend.queue.errors import InvalidTransition, QueueNotFound
from backend.queue.models import Ticket, TicketStatus
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from tests.backend.queue.conftest import DemoOffice, make_device
from tests.helpers.sql import statements

AUTH_TABLES = ("devices", "staff_sessions", "staff_accounts")


def _ours(sent: list[str]) -> list[str]:
    """The request's statements but authentication's and the live notification's."""
    return [
        s
        for s in sent
        if not any(f"FROM {t}" in s or f"UPDATE {t}" in s for t in AUTH_TABLES)
        and "pg_notify" not in s
    ]


def _reads(sent: list[str], table: str) -> list[str]:
    return [s for s in sent if s.startswith("SELECT") and f"FROM {table} " in f"{s} "]


def _writes(sent: list[str], verb: str, table: str) -> list[str]:
    return [s for s in sent if s.startswith(f"{verb} {table} ")]


def _machine(db: Session, office: DemoOffice) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_device(db, office, DeviceKind.TICKET_MACHINE)}"}


@pytest.fixture
def open_all_day(office: DemoOffice, db: Session) -> DemoOffice:
    office.office.opens_at, office.office.closes_at = "00:00", "24:00"
    db.flush()
    return office


@pytest.fixture
def fake_printer() -> Iterator[printing.FakeTicketPrinter]:
    fake = printing.FakeTicketPrinter()
    previous = printing.set_ticket_printer(fake)
    yield fake
    printing.set_ticket_printer(previous)


def _served_in_every_queue(db: Session, office: DemoOffice) -> None:
    """A done ticket in each queue: each has recent services for its estimate."""
    counter = office.counters["1"]
    for prefix in ("A", "B", "C"):
        ticket = service.issue_ticket(db, queue_id=office.queues[prefix].id)
        ticket.status, ticket.counter_id = TicketStatus.CALLED.value, counter.id
        ticket.called_at = ticket.issued_at
        db.flush()
        service.finish(db, ticket.id)
    db.expunge_all()  # the request reads as a new one would


def test_issuing_a_ticket_reads_each_row_once_and_the_recent_services_in_one_statement(
    client: TestClient,
    db: Session,
    open_all_day: DemoOffice,
    fake_printer: printing.FakeTicketPrinter,
) -> None:
    machine = _machine(db, open_all_day)
    _served_in_every_queue(db, open_all_day)
    with statements(db) as sent:
        response = client.post(
            "/api/v1/tickets", json={"queue_id": open_all_day.queues["B"].id}, headers=machine
        )
    assert response.status_code == 201, response.text
    ours = _ours(sent)
    assert len(_reads(ours, "tenants")) == 1
    assert len(_reads(ours, "offices")) == 1
    assert len(_reads(ours, "counters")) == 1  # with the queues each serves (one join)
    assert not _reads(ours, "counter_queues")
    # The queue by its id, then the office's queues for the estimate.
    assert len(_reads(ours, "queues")) == 2
    recent = [s for s in _reads(ours, "tickets") if "UNION ALL" in s]
    assert len(recent) == 1  # three queues, one statement
    assert recent[0].count("LIMIT") == 3  # each queue's last services, not the whole day
    # queue, office, tenant; sequence, ticket, journey event; the office's queues, counters,
    # waiting tickets and recent services (the slip's and the answer's estimate).
    assert len(ours) == 10, "\n".join(ours)


def test_the_ticket_machines_list_reads_the_office_view_in_six_statements(
    client: TestClient, db: Session, open_all_day: DemoOffice
) -> None:
    machine = _machine(db, open_all_day)
    _served_in_every_queue(db, open_all_day)
    with statements(db) as sent:
        response = client.get("/api/v1/ticket-machine/queues", headers=machine)
    assert response.status_code == 200, response.text
    ours = _ours(sent)
    # office, queues, tenant, counters with their queues, waiting tickets, recent services
    assert len(ours) == 6, "\n".join(ours)
    assert len(_reads(ours, "tenants")) == 1 and len(_reads(ours, "offices")) == 1


def test_the_office_view_builds_no_counter_or_ticket_objects(
    db: Session, open_all_day: DemoOffice
) -> None:
    """It is read for every ticket and every board, machine and phone poll: columns, not ORM
    rows (64 counters and a hundred tickets as objects were 6 ms of each ticket issued)."""
    queue_a = open_all_day.queues["A"]
    first = service.issue_ticket(db, queue_id=queue_a.id)
    called = service.issue_ticket(db, queue_id=queue_a.id)
    called.status, called.counter_id = TicketStatus.CALLED.value, open_all_day.counters["1"].id
    called.called_at = service.utcnow()
    db.commit()
    office_id, first_id = open_all_day.office.id, first.id
    codes = set(open_all_day.counters)
    counter_id = open_all_day.counters["1"].id
    db.expunge_all()  # read as a new request would
    loaded: list[object] = []

    def on_load(target: object, context: object) -> None:
        loaded.append(target)

    for entity in (Counter, Ticket):
        event.listen(entity, "load", on_load)
    try:
        view = status.office_view(db, office_id)
    finally:
        for entity in (Counter, Ticket):
            event.remove(entity, "load", on_load)
    assert loaded == []
    assert [t.id for t in view.waiting] == [first_id]
    assert {c.code for c in view.counters} == codes
    busy = [c for c in view.snapshot.counters if c.busy_queue_id is not None]
    assert [c.counter_id for c in busy] == [counter_id]


def test_the_grouped_recent_services_are_the_last_twelve_of_each_queue(
    db: Session, open_all_day: DemoOffice
) -> None:
    """Each queue's 12 most recent services of the day, oldest first."""
    queue_a, queue_b = open_all_day.queues["A"], open_all_day.queues["B"]
    counter = open_all_day.counters["1"]
    base = service.utcnow().replace(microsecond=0)
    for i in range(15):  # A: 1..15 minutes; only the last 12 count
        ticket = service.issue_ticket(db, queue_id=queue_a.id)
        ticket.status, ticket.counter_id = TicketStatus.DONE.value, counter.id
        ticket.called_at = base - dt.timedelta(hours=1) + dt.timedelta(minutes=20 * i)
        ticket.finished_at = ticket.called_at + dt.timedelta(minutes=i + 1)
    ticket = service.issue_ticket(db, queue_id=queue_b.id)
    ticket.status, ticket.counter_id = TicketStatus.DONE.value, counter.id
    ticket.called_at, ticket.finished_at = base, base + dt.timedelta(minutes=7)
    db.flush()
    view = status.office_view(db, open_all_day.office.id)
    stats = view.snapshot.queues
    assert stats[queue_a.id].recent_minutes == tuple(float(m) for m in range(4, 16))
    assert stats[queue_b.id].recent_minutes == (7.0,)
    assert stats[open_all_day.queues["C"].id].recent_minutes == ()


def _staff(client: TestClient) -> dict[str, str]:
    body = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
    ).json()
    return {"x-csrf-token": body["csrf_token"]}


def test_call_next_claims_and_returns_the_ticket_in_one_statement(
    client: TestClient, db: Session, open_all_day: DemoOffice
) -> None:
    ticket = service.issue_ticket(db, queue_id=open_all_day.queues["A"].id)
    staff = _staff(client)
    counter_id = open_all_day.counters["1"].id
    db.expunge_all()  # the request reads as a new one would
    with statements(db) as sent:
        response = client.post(f"/api/v1/counters/{counter_id}/call-next", headers=staff)
    assert response.status_code == 200, response.text
    assert response.json()["ticket"]["id"] == ticket.id
    assert response.json()["ticket"]["status"] == TicketStatus.CALLED
    ours = _ours(sent)
    assert len(_reads(ours, "tickets")) == 1  # the counter's current ticket
    assert len(_writes(ours, "UPDATE", "tickets")) == 1
    # counter, current ticket, its queues, tenant, the claim, the journey event
    assert len(ours) == 6, "\n".join(ours)


def test_a_visit_opened_and_closed_changes_its_ticket_without_reading_it_again(
    db: Session, open_all_day: DemoOffice
) -> None:
    db.info["tenant_id"] = open_all_day.tenant.id
    service.issue_ticket(db, queue_id=open_all_day.queues["A"].id)
    called = service.call_next(db, open_all_day.counters["1"].id)
    assert called is not None
    with statements(db) as opened:
        visit = visits.open_visit(db, tenant_id=open_all_day.tenant.id, ticket_id=called.id)
    assert len(_reads(opened, "tickets")) == 1  # the visit's own read of its ticket
    assert len(_writes(opened, "UPDATE", "tickets")) == 1
    assert called.status == TicketStatus.SERVING and called.serving_started_at is not None
    with statements(db) as closed:
        service.finish_if_active(db, visit.ticket_id, actor="staff:test")
        db.flush()
    assert not _reads(closed, "tickets")
    assert len(_writes(closed, "UPDATE", "tickets")) == 1
    assert called.status == TicketStatus.DONE and called.finished_at is not None
    kinds = [e.kind for e in service.ticket_journey(db, called.id)]
    assert kinds == ["issued", "called", "serving", "done"]
    service.finish_if_active(db, called.id, actor=None)  # already done: nothing changes
    assert [e.kind for e in service.ticket_journey(db, called.id)] == kinds


def test_a_ticket_changed_by_another_request_is_not_served(
    db: Session, open_all_day: DemoOffice
) -> None:
    """The guarded UPDATE is the lock and the check: a stale copy saying "called" is refused."""
    db.info["tenant_id"] = open_all_day.tenant.id
    service.issue_ticket(db, queue_id=open_all_day.queues["A"].id)
    called = service.call_next(db, open_all_day.counters["1"].id)
    assert called is not None
    db.execute(
        Ticket.__table__.update()
        .where(Ticket.__table__.c.id == called.id)
        .values(status=TicketStatus.NO_SHOW.value)
    )
    assert called.status == TicketStatus.CALLED  # the session's stale copy
    with pytest.raises(InvalidTransition):
        service.start_serving_if_called(db, called, actor=None)
    assert db.get(Ticket, called.id) is called
    db.refresh(called)
    assert called.status == TicketStatus.NO_SHOW


def test_the_held_rows_are_released_with_the_transaction(
    db: Session, open_all_day: DemoOffice
) -> None:
    db.info["tenant_id"] = open_all_day.tenant.id
    request_memo.keep_loaded_rows(db)  # as a request's session does
    db.expunge_all()
    with statements(db) as sent:
        screens.office_of(db, _NoDevice(), open_all_day.office.id)
        service.tenant_zone(db, open_all_day.tenant.id)
        service.tenant_zone(db, open_all_day.tenant.id)
        screens.office_of(db, _NoDevice(), open_all_day.office.id)
    assert len(_reads(sent, "tenants")) == 1 and len(_reads(sent, "offices")) == 1
    nested = db.begin_nested()  # a savepoint (the first ticket of a day's numbering)
    nested.commit()
    assert db.info.get("kept_rows")  # still held: the transaction goes on
    db.commit()
    assert db.info.get("kept_rows") is None
    with statements(db) as again:
        service.tenant_zone(db, open_all_day.tenant.id)
    assert len(_reads(again, "tenants")) <= 1  # a new transaction may read it again


class _NoDevice:
    device = None


def test_a_queue_or_office_of_another_tenant_is_not_found_by_its_id(
    db: Session, open_all_day: DemoOffice
) -> None:
    """``session.get`` reads a row not yet in the session with the tenant scoping applied."""
    queue_id, office_id = open_all_day.queues["A"].id, open_all_day.office.id
    db.expunge_all()
    db.info["unscoped"], db.info["tenant_id"] = False, "another-tenant"
    try:
        with pytest.raises(QueueNotFound):
            service.get_queue(db, queue_id)
        assert service.get_office(db, office_id) is None
    finally:
        db.info["unscoped"] = True
    assert service.get_queue(db, queue_id).id == queue_id


def test_the_office_counters_list_costs_the_same_statements_for_any_number_of_counters(
    db: Session, open_all_day: DemoOffice
) -> None:
    """The console's first load: two statements a counter (its queues, its ticket) made a
    64-counter office's list cost 128; now three whatever the number, with the same answer."""
    office = open_all_day
    principal = Principal(tenant_id=office.tenant.id)
    called = service.issue_ticket(db, queue_id=office.queues["B"].id)
    called.status, called.counter_id = TicketStatus.CALLED.value, office.counters["2"].id
    called.called_at = called.issued_at
    db.flush()
    one_by_one = [
        screens.counter_read(db, counter)
        for counter in sorted(office.counters.values(), key=lambda c: c.code)
    ]
    db.expunge_all()

    with statements(db) as few:
        listed = screens.counters(db, principal, office.office.id)
    for code in ("L1", "L2", "L3", "L4", "L5", "L6"):
        db.add(
            Counter(tenant_id=office.tenant.id, office_id=office.office.id, code=code, name=code)
        )
    db.flush()
    db.expunge_all()
    with statements(db) as many:
        longer = screens.counters(db, principal, office.office.id)

    assert listed == one_by_one
    assert [c.current_ticket.id if c.current_ticket else None for c in listed].count(called.id) == 1
    assert all(c.queue_ids for c in listed)  # every demo counter serves a queue
    assert len(longer) == len(listed) + 6
    assert len(_ours(many)) == len(_ours(few)) <= 4  # the office, counters, queues, tickets
