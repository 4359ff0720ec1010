"""The reads a counter repeats all day go through an index by counter (issue 17).

A tablet polls every second and a console every few: each poll looked up the counter's open
visit, its PIN request and latest card read through the tenant's index, reading every visit and
job the municipality still kept; "next" read every ticket of the queue's day to find the
waiting ones. Checked on the plans the database makes for the statements the real requests
send, with a history at the counter (closed visits, finished reads and tickets) and sequential
scans off, so that a missing index shows as a walk through the tenant's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.counter.models import Visit
from backend.counter.states import VisitStatus
from backend.identity.devices.models import Device, DeviceKind
from backend.platform.agentlink.models import AgentJob, JobKind, JobStatus
from backend.platform.db import utcnow
from backend.queue import service as queue_service
from backend.queue.models import Ticket, TicketStatus, counter_queues
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import tablet_headers
from tests.helpers.sql import executions

HISTORY = 120  # visits, card reads and tickets the counter already had
POLLED_TABLES = ("visits", "agent_jobs", "tickets")
# Indexes that hold a whole tenant's (or a queue's whole day's) rows: a poll must not walk them.
TENANT_WIDE = {
    "ix_visits_tenant_id",
    "ix_visits_tenant_created",
    "ix_visits_retention",
    "ix_agent_jobs_tenant_id",
    "ix_tickets_tenant_id",
    "ix_tickets_queue_id",
    "ix_tickets_queue_status",
    "ix_tickets_queue_day_status_finished",
    "ix_tickets_office_day_status",
    "ix_tickets_status",
}


def add_history(db: Session, clerk: Clerk) -> Device:
    """HISTORY closed visits, finished card reads and done tickets of today at the counter."""
    tenant, counter = clerk.tenant.id, clerk.counter.id
    agent = Device(tenant_id=tenant, kind=DeviceKind.AGENT.value, name="agent", counter_id=counter)
    db.add(agent)
    db.flush()
    queue_id = db.execute(
        counter_queues.select().where(counter_queues.c.counter_id == counter)
    ).first()
    assert queue_id is not None
    start = utcnow() - dt.timedelta(hours=6)
    for i in range(HISTORY):
        at = start + dt.timedelta(minutes=2 * i)
        visit = Visit(tenant_id=tenant, counter_id=counter, status=VisitStatus.CLOSED)
        visit.created_at, visit.closed_at = at, at + dt.timedelta(minutes=1)
        db.add(visit)
        job = AgentJob(tenant_id=tenant, device_id=agent.id, counter_id=counter, params={},
                       kind=JobKind.READ_CARD.value, status=JobStatus.DONE.value)  # fmt: skip
        job.created_at = at
        db.add(job)
        db.add(done_ticket(clerk, queue_id.queue_id, i + 1, at))
    db.flush()
    for table in POLLED_TABLES:
        db.execute(text(f"ANALYZE {table}"))
    return agent


def done_ticket(clerk: Clerk, queue_id: str, number: int, at: dt.datetime) -> Ticket:
    counter = clerk.counter
    return Ticket(tenant_id=counter.tenant_id, queue_id=queue_id, origin_queue_id=queue_id,
                  office_id=counter.office_id,
                  service_day=at.date(), number=number, display_number=f"H-{number:03d}",
                  status=TicketStatus.DONE.value, priority=False, issued_at=at, called_at=at,
                  finished_at=at, counter_id=counter.id, call_count=1, transfer_count=0,
                  follow_token=f"history-{number}")  # fmt: skip


def indexes_walked(db: Session, sent: list[tuple[str, Any]]) -> tuple[set[str], list[str]]:
    """The indexes the plans of the SELECTs and UPDATEs sent read, and the sequential scans
    of the polled tables they would make (sequential scans off: a forced one means no index)."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))
    used: set[str] = set()
    scans: list[str] = []
    connection = db.connection()
    for statement, parameters in sent:
        if not re.match(r"\s*(SELECT|UPDATE|WITH)\b", statement):
            continue
        if dialect == "postgresql":
            plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            nodes = list(_plan_nodes(plan.scalar_one()[0]["Plan"]))
            used |= {node["Index Name"] for node in nodes if "Index Name" in node}
            scans += [f"{node['Relation Name']}: {statement[:90]}" for node in nodes
                      if node["Node Type"] == "Seq Scan"
                      and node.get("Relation Name") in POLLED_TABLES]  # fmt: skip
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            for detail in (str(row[-1]) for row in rows):
                used |= set(re.findall(r"USING (?:COVERING )?INDEX (\w+)", detail))
                scan = re.match(r"SCAN (\w+)$", detail)
                if scan and scan.group(1) in POLLED_TABLES:
                    scans.append(f"{scan.group(1)}: {statement[:90]}")
    return used, scans


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def walked_by(db: Session, work: Callable[[], Any], never: set[str] = TENANT_WIDE) -> set[str]:
    """The indexes ``work``'s statements read; none of ``never`` and no forced scan."""
    with executions(db.connection()) as sent:
        work()
    used, scans = indexes_walked(db, sent)
    assert scans == [], scans
    assert not used & never, sorted(used & never)
    return used


def test_the_tablets_poll_reads_the_counter_not_the_tenant(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    add_history(db, clerk)
    tablet = tablet_headers(db, clerk)

    def poll() -> None:
        first = client.get("/api/v1/tablet/current", headers=tablet)
        assert first.status_code == 200, first.text
        again = {**tablet, "if-none-match": first.headers["etag"]}
        assert client.get("/api/v1/tablet/current", headers=again).status_code == 304

    used = walked_by(db, poll)
    assert {
        "ix_visits_counter_open",
        "ix_agent_jobs_counter_status_created",
        "ix_agent_jobs_counter_kind_created",
    } <= used, sorted(used)


def test_next_reads_the_waiting_tickets_and_the_counters_own(clerk: Clerk, db: Session) -> None:
    add_history(db, clerk)
    clerk.counter.is_open = True
    queue_id = db.execute(
        counter_queues.select().where(counter_queues.c.counter_id == clerk.counter.id)
    ).first()
    assert queue_id is not None
    waiting = done_ticket(clerk, queue_id.queue_id, 900, utcnow())
    waiting.status, waiting.counter_id = TicketStatus.WAITING.value, None
    waiting.service_day = queue_service.service_day(
        utcnow(), queue_service.tenant_zone(db, clerk.tenant.id)
    )
    db.add(waiting)
    db.flush()
    called: list[Ticket | None] = []
    # The office's view after the call reads the day's tickets by status (bounded by design).
    never = {"ix_tickets_tenant_id", "ix_tickets_queue_id", "ix_tickets_queue_status"}

    def call() -> None:
        called.append(queue_service.call_next(db, clerk.counter.id))

    used = walked_by(db, call, never)
    assert called[0] is not None and called[0].id == waiting.id  # the claim did claim it
    if db.get_bind().dialect.name == "postgresql":
        assert "ix_tickets_waiting" in used, sorted(used)
    else:  # SQLite searches (queue, day, status) in this one; PostgreSQL filtered the day's rows
        assert used & {"ix_tickets_waiting", "ix_tickets_queue_day_status_finished"}, sorted(used)


def test_the_open_visit_read_keeps_its_index_in_a_prepared_generic_plan(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    """psycopg prepares a statement sent five times; PostgreSQL may then plan it once for any
    parameter. A partial index is usable there only if its predicate is in the SQL's text."""
    add_history(db, clerk)
    tablet = tablet_headers(db, clerk)
    with executions(db.connection()) as sent:
        assert client.get("/api/v1/tablet/current", headers=tablet).status_code == 200
    reads = [(s, p) for s, p in sent if s.startswith("SELECT visits.") and "counter_id" in s]
    assert reads, "the poll read no visit by counter"
    if db.get_bind().dialect.name != "postgresql":
        return  # SQLite plans each statement anew; the first test covers it
    for number, (statement, parameters) in enumerate(reads):
        numbered, names = _numbered(statement)
        db.execute(text(f"PREPARE poll_{number} AS {numbered}".replace(":", r"\:")))
        db.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        values = ", ".join(_sql_value(parameters[name]) for name in names)
        plan = db.connection().exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) EXECUTE poll_{number}({values})"
        )
        nodes = list(_plan_nodes(plan.scalar_one()[0]["Plan"]))
        used = {node["Index Name"] for node in nodes if "Index Name" in node}
        assert "ix_visits_counter_open" in used, (statement, sorted(used))


def _numbered(statement: str) -> tuple[str, list[str]]:
    """The statement with ``$1, $2 …`` for psycopg's named placeholders, and their names."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, statement), names


def _sql_value(value: object) -> str:
    """A parameter written into EXECUTE's arguments (ids and numbers only, in this test)."""
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str) and re.fullmatch(r"[\w-]*", value), value
    return f"'{value}'"
