"""The hub on its own, with a recording link: what is sent, stored and acknowledged, and when."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, text

import contracts.agent as protocol
from backend.counter import card_reading
from backend.counter import service as visits
from backend.counter.models import HouseholdMember, VisitEvent
from backend.platform.agentlink import pins, service
from backend.platform.agentlink.errors import AgentOffline, InvalidPin, JobNotAwaitingPin
from backend.platform.agentlink.hub import Hub
from backend.platform.agentlink.models import AgentJob, AgentPin, JobKind
from backend.platform.db import session_scope, utcnow
from hardware.agent.fakes import SYNTHETIC_CARD
from tests.backend.agentlink.conftest import LiveDb

PIN = "8642"


class RecordingLink:
    """Keeps what the hub sends as the JSON objects that would go on the wire."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.wakes = 0

    def send(self, message: protocol.BackendMessage) -> None:
        self.sent.append(protocol.dump(message))

    def wake(self) -> None:
        self.wakes += 1

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == kind]


def hello(results: list[protocol.ResultOk | protocol.ResultFailed] | None = None) -> protocol.Hello:
    return protocol.hello(["read_card", "print"], results or [], [])


def open_visit(live: LiveDb) -> str:
    with session_scope(tenant_id=live.tenant_id) as session:
        visit = visits.open_visit(session, tenant_id=live.tenant_id, counter_id=live.counter_id)
        return visit.id


def submit_print(live: LiveDb, hub: Hub, data: bytes = b"\x1b@hello") -> str:
    with session_scope(tenant_id=live.tenant_id) as session:
        job = service.submit_print(
            session,
            hub,
            counter_id=live.counter_id,
            data=data,
            target="receipt",
            visit_id=None,
            label=None,
            actor="test",
        )
        return job.id


def load(live: LiveDb, job_id: str) -> AgentJob:
    with session_scope(tenant_id=live.tenant_id) as session:
        job = session.get(AgentJob, job_id)
        assert job is not None
        session.expunge(job)
        return job


def held_pins() -> int:
    with session_scope(unscoped=True) as session:
        return pins.held(session)


def request_read(live: LiveDb, hub: Hub, visit_id: str, pin: str | None = PIN) -> str:
    with session_scope(tenant_id=live.tenant_id) as session:
        job = card_reading.start_card_read(
            session, visit_id=visit_id, pin_at="tablet", allow_last_try=False, actor="test"
        )
        if pin is not None:
            service.submit_pin(session, hub, job, pin)
        return job.id


def test_a_print_job_is_sent_once_stored_then_acknowledged(live_db: LiveDb, hub: Hub) -> None:
    link = RecordingLink()
    hub.attach(live_db.agent, link, hello())
    job_id = submit_print(live_db, hub)
    assert hub.dispatch(live_db.agent) == 1
    (job_message,) = link.of_type("job")
    assert job_message["job_id"] == job_id
    assert base64.b64decode(job_message["data_b64"]) == b"\x1b@hello"
    assert load(live_db, job_id).status == "sent"
    assert hub.dispatch(live_db.agent) == 0  # a sent job is not sent again on the same link

    hub.handle(live_db.agent, protocol.ok(job_id, protocol.PrintResult(bytes=7)))
    job = load(live_db, job_id)
    assert job.status == "done" and job.data is None  # printed bytes are not kept
    assert link.of_type("ack") == [{"type": "ack", "job_id": job_id}]
    # The same result again (resent after a reconnect): acknowledged, nothing changes.
    hub.handle(live_db.agent, protocol.failed(job_id, protocol.JobError(code="x", message="x")))
    assert load(live_db, job_id).status == "done"
    assert len(link.of_type("ack")) == 2


def test_unacknowledged_jobs_are_resent_on_reconnect(live_db: LiveDb, hub: Hub) -> None:
    first = RecordingLink()
    hub.attach(live_db.agent, first, hello())
    job_id = submit_print(live_db, hub)
    hub.dispatch(live_db.agent)
    hub.detach(live_db.agent, first)
    assert not hub.connected(live_db.agent.device_id)

    second = RecordingLink()
    hub.attach(live_db.agent, second, hello())
    assert [m["job_id"] for m in second.of_type("job")] == [job_id]
    assert load(live_db, job_id).attempts == 2

    # A result that arrives in the hello is stored before anything is resent.
    third = RecordingLink()
    hub.detach(live_db.agent, second)
    hub.attach(live_db.agent, third, hello([protocol.ok(job_id, protocol.PrintResult(bytes=7))]))
    assert third.of_type("job") == []
    assert third.of_type("ack") == [{"type": "ack", "job_id": job_id}]
    assert load(live_db, job_id).status == "done"


def test_a_card_read_with_the_pin_from_the_tablet(live_db: LiveDb, hub: Hub) -> None:
    link = RecordingLink()
    hub.attach(live_db.agent, link, hello())
    visit_id = open_visit(live_db)
    job_id = request_read(live_db, hub, visit_id, pin=None)
    assert load(live_db, job_id).status == "awaiting_pin"
    assert hub.dispatch(live_db.agent) == 0  # nothing to do before the PIN
    with session_scope(tenant_id=live_db.tenant_id) as session:
        job = service.get_job(session, job_id)
        with pytest.raises(InvalidPin):
            service.submit_pin(session, hub, job, "12a4")
        service.submit_pin(session, hub, job, PIN)
    hub.dispatch(live_db.agent)
    (message,) = link.of_type("job")
    assert message["params"] == {"pin_at": "tablet", "allow_last_try": False, "pin": PIN}
    # The PIN is sealed in custody only: not in the job row, nowhere in clear in the database.
    assert "pin" not in load(live_db, job_id).params
    with session_scope(unscoped=True) as session:
        dump = str(session.execute(text("SELECT * FROM agent_jobs")).all())
        dump += str(session.execute(text("SELECT * FROM visit_events")).all())
        dump += str(session.execute(text("SELECT * FROM agent_pins")).all())
        assert pins.held(session) == 1
    assert PIN not in dump

    hub.handle(live_db.agent, protocol.ok(job_id, protocol.CardResult(**SYNTHETIC_CARD)))
    job = load(live_db, job_id)
    assert job.status == "done" and held_pins() == 0  # deleted on use
    assert set(job.result or {}) == {"member_id"}  # ids only: the card data went to the member
    with session_scope(tenant_id=live_db.tenant_id) as session:
        member = session.scalars(
            select(HouseholdMember).where(HouseholdMember.visit_id == visit_id)
        ).one()
        assert (member.name, member.address, member.source) == (
            SYNTHETIC_CARD["name"],
            SYNTHETIC_CARD["address"],
            "card",
        )
        assert member.birth_date == "1980-02-17"


def test_wrong_pin_fails_the_job_with_tries_left(live_db: LiveDb, hub: Hub) -> None:
    link = RecordingLink()
    hub.attach(live_db.agent, link, hello())
    visit_id = open_visit(live_db)
    job_id = request_read(live_db, hub, visit_id)
    hub.dispatch(live_db.agent)
    error = protocol.JobError(code="wrong_pin", message="暗証番号が違います。", retries_left=2)
    hub.handle(live_db.agent, protocol.failed(job_id, error))
    with session_scope(tenant_id=live_db.tenant_id) as session:
        read = service.job_read(session, hub, service.get_job(session, job_id))
        events = session.scalars(select(VisitEvent).where(VisitEvent.visit_id == visit_id)).all()
    assert read.status == "failed" and read.error is not None
    assert (read.error.code, read.error.retries_left) == ("wrong_pin", 2)
    assert held_pins() == 0
    failed = [e for e in events if e.kind == "read_card.failed"]
    assert failed[0].data == {"job_id": job_id, "code": "wrong_pin", "retries_left": 2}


def test_another_replica_sends_the_pin_the_tablet_gave_this_one(live_db: LiveDb, hub: Hub) -> None:
    visit_id = open_visit(live_db)
    hub.attach(live_db.agent, RecordingLink(), hello())
    job_id = request_read(live_db, hub, visit_id)
    other_replica = Hub()  # another process: same database, its own memory
    link = RecordingLink()
    other_replica.attach(live_db.agent, link, hello())
    (message,) = link.of_type("job")
    assert message["job_id"] == job_id and message["params"]["pin"] == PIN


def test_an_expired_pin_is_lost_and_the_resident_types_it_again(
    live_db: LiveDb, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit_id = open_visit(live_db)
    hub.attach(live_db.agent, RecordingLink(), hello())
    job_id = request_read(live_db, hub, visit_id)
    later = utcnow() + dt.timedelta(seconds=pins.PIN_TTL_SECONDS + 1)
    monkeypatch.setattr(pins, "utcnow", lambda: later)
    link = RecordingLink()
    Hub().attach(live_db.agent, link, hello())
    assert link.of_type("job") == []
    job = load(live_db, job_id)
    assert (job.status, job.error_code) == ("failed", "pin_lost")
    assert "暗証番号を入力し直して" in (job.error_message or "")
    assert held_pins() == 0


def test_a_sealed_pin_does_not_open_for_another_job(live_db: LiveDb, hub: Hub) -> None:
    hub.attach(live_db.agent, RecordingLink(), hello())
    first = request_read(live_db, hub, open_visit(live_db))
    second = request_read(live_db, hub, open_visit(live_db), pin=None)
    with session_scope(unscoped=True, write=True) as session:
        stolen = session.get(AgentPin, first)
        assert stolen is not None
        session.add(AgentPin(job_id=second, sealed=stolen.sealed, expires_at=stolen.expires_at))
        session.flush()
        assert pins.peek(session, first) == PIN
        assert pins.peek(session, second) is None  # bound to its job: refused and deleted


def test_pin_for_a_job_not_waiting_is_refused(live_db: LiveDb, hub: Hub) -> None:
    hub.attach(live_db.agent, RecordingLink(), hello())
    job_id = request_read(live_db, hub, open_visit(live_db))
    with session_scope(tenant_id=live_db.tenant_id) as session, pytest.raises(JobNotAwaitingPin):
        service.submit_pin(session, hub, service.get_job(session, job_id), PIN)


def test_card_read_needs_the_agent_online(live_db: LiveDb, hub: Hub) -> None:
    visit_id = open_visit(live_db)
    with pytest.raises(AgentOffline):
        request_read(live_db, hub, visit_id)


def test_out_of_paper_keeps_the_job_for_a_reprint(live_db: LiveDb, hub: Hub) -> None:
    link = RecordingLink()
    hub.attach(live_db.agent, link, hello())
    job_id = submit_print(live_db, hub)
    hub.dispatch(live_db.agent)
    error = protocol.JobError(code="printer_out_of_paper", message="用紙がありません。")
    hub.handle(live_db.agent, protocol.failed(job_id, error))
    with session_scope(tenant_id=live_db.tenant_id) as session:
        failed = service.get_job(session, job_id)
        assert service.job_read(session, hub, failed).reprintable
        again = service.reprint(session, hub, failed, actor="test")
        again_id = again.id
    assert again_id != job_id  # a new id: the agent runs an id only once
    assert load(live_db, job_id).data is None
    hub.dispatch(live_db.agent)
    resent = link.of_type("job")[-1]
    assert resent["job_id"] == again_id
    assert base64.b64decode(resent["data_b64"]) == b"\x1b@hello"


def test_a_job_from_another_device_is_ignored(live_db: LiveDb, hub: Hub) -> None:
    from backend.platform.agentlink.hub import AgentIdentity

    link = RecordingLink()
    hub.attach(live_db.agent, link, hello())
    job_id = submit_print(live_db, hub)
    hub.dispatch(live_db.agent)
    intruder = AgentIdentity(live_db.tablet_id, live_db.tenant_id, None)  # another device
    intruder_link = RecordingLink()
    hub.attach(intruder, intruder_link, hello([protocol.ok(job_id, protocol.PrintResult(bytes=0))]))
    assert load(live_db, job_id).status == "sent"


def test_every_replica_sees_where_the_agent_is_connected(live_db: LiveDb, hub: Hub) -> None:
    """Online and the kinds it runs, on a replica that does not hold the connection; and
    offline everywhere as soon as it leaves."""
    other_replica = Hub()
    link = RecordingLink()
    hub.attach(live_db.agent, link, hello())

    def seen_by_other() -> tuple[bool, list[str]]:
        with session_scope(tenant_id=live_db.tenant_id) as session:
            device = service.require_agent(session, live_db.counter_id)
            return other_replica.is_online(session, device), other_replica.kinds(session, device.id)

    assert seen_by_other() == (True, ["read_card", "print"])
    hub.detach(live_db.agent, link)
    assert seen_by_other() == (False, [])


def test_the_tablet_s_pin_job_and_latest_read_in_one_statement(live_db: LiveDb) -> None:
    """``pin_job_and_latest`` answers what ``pending_pin_job`` and ``latest_job`` would: an
    older read still waiting for its PIN beside a newer finished one, then one row for both."""
    start = utcnow()

    def job(session: Any, kind: str, status: str, seconds: int) -> str:
        row = AgentJob(
            tenant_id=live_db.tenant_id,
            device_id=live_db.agent.device_id,
            counter_id=live_db.counter_id,
            kind=kind,
            status=status,
            params={},
            created_at=start + dt.timedelta(seconds=seconds),
        )
        session.add(row)
        session.flush()
        return row.id

    with session_scope(tenant_id=live_db.tenant_id) as session:
        assert service.pin_job_and_latest(session, live_db.counter_id, JobKind.READ_CARD) == (
            None,
            None,
        )
        waiting = job(session, JobKind.READ_CARD.value, "awaiting_pin", 1)
        finished = job(session, JobKind.READ_CARD.value, "done", 2)
        job(session, JobKind.PRINT.value, "done", 3)
        pin, latest = service.pin_job_and_latest(session, live_db.counter_id, JobKind.READ_CARD)
        assert pin is service.pending_pin_job(session, live_db.counter_id)
        assert latest is service.latest_job(session, live_db.counter_id, JobKind.READ_CARD)
        assert (pin and pin.id, latest and latest.id) == (waiting, finished)
        newest = job(session, JobKind.READ_CARD.value, "awaiting_pin", 4)
        pin, latest = service.pin_job_and_latest(session, live_db.counter_id, JobKind.READ_CARD)
        assert pin is latest and pin is not None and pin.id == newest
        assert service.pin_job_and_latest(session, None, JobKind.READ_CARD) == (None, None)
