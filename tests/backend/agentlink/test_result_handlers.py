"""The agent link hands each result to the handler registered for its job's kind, typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

import contracts.agent as protocol
from backend.platform.agentlink import hooks, register_result_handler
from backend.platform.agentlink.hooks import FinishedJob
from backend.platform.agentlink.hub import Hub
from backend.platform.errors import Conflict
from tests.backend.agentlink.conftest import LiveDb
from tests.backend.agentlink.test_agent_hub import RecordingLink, hello, load, submit_print


@pytest.fixture
def calls(hub: Hub) -> Iterator[list[tuple[str, Any]]]:
    """A print handler that records what it is given; the app's handlers come back after."""
    seen: list[tuple[str, Any]] = []

    def done(session: Session, job: FinishedJob, printed: protocol.PrintResult) -> dict[str, Any]:
        seen.append(("done", (job, printed)))
        return {"printed": printed.bytes}

    def failed(session: Session, job: FinishedJob, error: protocol.JobError) -> None:
        seen.append(("failed", (job, error)))

    register_result_handler(protocol.PRINT, done=done, failed=failed)
    yield seen
    from backend.app import install_agent_link

    install_agent_link()


def sent_print(live: LiveDb, hub: Hub) -> str:
    hub.attach(live.agent, RecordingLink(), hello())
    job_id = submit_print(live, hub)
    hub.dispatch(live.agent)
    return job_id


def test_a_result_goes_to_the_handler_of_its_kind(
    live_db: LiveDb, hub: Hub, calls: list[tuple[str, Any]]
) -> None:
    job_id = sent_print(live_db, hub)
    hub.handle(live_db.agent, protocol.ok(job_id, protocol.PrintResult(bytes=7)))
    ((what, (job, printed)),) = calls
    assert what == "done" and printed == protocol.PrintResult(bytes=7)
    assert (job.id, job.kind, job.tenant_id) == (job_id, "print", live_db.tenant_id)
    assert job.actor == f"device:{live_db.agent.device_id}"
    stored = load(live_db, job_id)
    assert (stored.status, stored.result, stored.data) == ("done", {"printed": 7}, None)


def test_a_failure_goes_to_the_handler_of_its_kind(
    live_db: LiveDb, hub: Hub, calls: list[tuple[str, Any]]
) -> None:
    job_id = sent_print(live_db, hub)
    error = protocol.JobError(code="printer_out_of_paper", message="用紙がありません。")
    hub.handle(live_db.agent, protocol.failed(job_id, error))
    ((what, (job, noted)),) = calls
    assert (what, job.id, noted) == ("failed", job_id, error)
    assert load(live_db, job_id).status == "failed"


def test_a_handler_refusing_the_result_fails_the_job(live_db: LiveDb, hub: Hub) -> None:
    def refuse(session: Session, job: FinishedJob, printed: protocol.PrintResult) -> dict[str, Any]:
        raise Conflict("もう閉じています。", code="visit_closed")

    noted: list[str] = []
    register_result_handler(
        protocol.PRINT, done=refuse, failed=lambda session, job, error: noted.append(error.code)
    )
    try:
        job_id = sent_print(live_db, hub)
        hub.handle(live_db.agent, protocol.ok(job_id, protocol.PrintResult(bytes=7)))
    finally:
        from backend.app import install_agent_link

        install_agent_link()
    job = load(live_db, job_id)
    assert (job.status, job.error_code, job.result) == ("failed", "visit_closed", None)
    assert job.data is not None  # kept: a failed print can be printed again
    assert noted == ["visit_closed"]


def test_a_result_of_the_wrong_shape_fails_the_job(
    live_db: LiveDb, hub: Hub, calls: list[tuple[str, Any]]
) -> None:
    job_id = sent_print(live_db, hub)
    card = protocol.CardResult(name="黒桐　幹也", address="清瀬市", birth_date="19800217", sex="1")
    hub.handle(live_db.agent, protocol.ok(job_id, card))
    assert [what for what, _ in calls] == ["failed"]
    job = load(live_db, job_id)
    assert (job.status, job.error_code, job.result) == ("failed", "result_invalid", None)


def test_a_kind_without_a_handler_fails_the_job(live_db: LiveDb, hub: Hub) -> None:
    saved = hooks.result_handler(protocol.PRINT)
    hooks._handlers.pop(protocol.PRINT)
    try:
        job_id = sent_print(live_db, hub)
        hub.handle(live_db.agent, protocol.ok(job_id, protocol.PrintResult(bytes=7)))
    finally:
        assert saved is not None
        hooks._handlers[protocol.PRINT] = saved
    assert load(live_db, job_id).error_code == "result_unhandled"


def test_only_known_kinds_take_a_handler() -> None:
    with pytest.raises(ValueError, match="no such job kind"):
        register_result_handler("scan", done=lambda s, j, r: {})  # type: ignore[call-overload]
