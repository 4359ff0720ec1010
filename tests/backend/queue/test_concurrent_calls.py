"""Real concurrent "call next" from many counters: threads, separate connections, committed data."""

from __future__ import annotations

import threading
from collections import Counter as Counter_
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.identity.tenants.models import Counter, Office
from backend.platform import db as db_module
from backend.platform import migrate
from backend.platform.db import begin_write
from backend.queue import service
from backend.queue.errors import CallContention
from backend.queue.models import Queue, Ticket, TicketEvent, counter_queues
from backend.seed import seed_demo
from tests.conftest import _backends, scratch_postgres_url

COUNTERS = 8
TICKETS = 40


@pytest.fixture(params=_backends())
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = db_module.make_engine(f"sqlite:///{tmp_path / 'calls.db'}")
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
        return
    with scratch_postgres_url("madoguchi_calls") as url:
        engine = db_module.make_engine(url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()


def _prepare(factory: sessionmaker[Session]) -> tuple[str, list[str]]:
    """Commit the demo office, 8 open counters all serving B, and 40 waiting B tickets."""
    with factory() as session, session.begin():
        session.info["unscoped"] = True
        tenant = seed_demo(session)
        office = session.scalars(select(Office).where(Office.tenant_id == tenant.id)).one()
        office.opens_at, office.closes_at = "00:00", "24:00"
        queue = session.scalars(select(Queue).where(Queue.prefix == "B")).one()
        counter_ids = []
        for n in range(COUNTERS):
            counter = Counter(
                tenant_id=tenant.id, office_id=office.id, code=f"x{n}", name=f"x{n}", is_open=True
            )
            session.add(counter)
            session.flush()
            session.execute(
                counter_queues.insert().values(counter_id=counter.id, queue_id=queue.id)
            )
            counter_ids.append(counter.id)
        for _ in range(TICKETS):
            service.issue_ticket(session, queue_id=queue.id, priority=False)
        return tenant.id, counter_ids


def _counter_loop(
    factory: sessionmaker[Session],
    tenant_id: str,
    counter_id: str,
    start: threading.Barrier,
    claimed: list[tuple[str, str]],
    errors: list[BaseException],
) -> None:
    try:
        for _ in range(TICKETS // COUNTERS):
            start.wait(timeout=60)  # every counter presses "call next" at the same instant
            ticket_id = _claim(factory, tenant_id, counter_id)
            claimed.append((ticket_id, counter_id))
            with factory() as session, session.begin():
                session.info["tenant_id"] = tenant_id
                begin_write(session)
                service.finish(session, ticket_id, counter_id=counter_id)
    except BaseException as exc:
        start.abort()  # release the others: the test reports this error
        errors.append(exc)


def _claim(factory: sessionmaker[Session], tenant_id: str, counter_id: str) -> str:
    while True:
        with factory() as session:
            session.info["tenant_id"] = tenant_id
            try:
                with session.begin():
                    begin_write(session)
                    ticket = service.call_next(session, counter_id)
                    if ticket is None:
                        raise AssertionError("no ticket left although every round has one")
                    return ticket.id
            except (CallContention, OperationalError):
                continue  # another counter wrote first; press "next" again


def test_two_counters_never_get_the_same_ticket(own_engine: Engine) -> None:
    factory = sessionmaker(own_engine, expire_on_commit=False)
    tenant_id, counter_ids = _prepare(factory)
    start = threading.Barrier(len(counter_ids))
    claimed: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_counter_loop, args=(factory, tenant_id, c, start, claimed, errors))
        for c in counter_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    ticket_ids = [ticket_id for ticket_id, _ in claimed]
    assert len(ticket_ids) == TICKETS
    assert len(set(ticket_ids)) == TICKETS, "a ticket was called by two counters"
    per_counter = Counter_([counter for _, counter in claimed])
    assert set(per_counter.values()) == {TICKETS // COUNTERS}, per_counter
    with factory() as session:
        session.info["unscoped"] = True
        calls = session.execute(
            select(TicketEvent.ticket_id, func.count())
            .where(TicketEvent.kind == "called")
            .group_by(TicketEvent.ticket_id)
        ).all()
        assert len(calls) == TICKETS and all(count == 1 for _, count in calls)
        left = session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.status != "done")
        )
        assert left == 0
