"""``/api/v1/agent``: the agents' WebSocket, their presence, and jobs once submitted.

Submitting jobs is the business of the domains that need them (the counter's card reads,
PIN and prints: ``backend.counter.card_router``); here a clerk sees whether the counter's agent
is there, long-polls a job until the agent's result is stored, and reprints a failed print.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from pydantic import Field, TypeAdapter
from sqlalchemy.orm import Session

import contracts.agent as protocol
from backend.platform import conditional, long_poll
from backend.platform.access import (
    Permission,
    Principal,
    checked_query,
    hot_route,
    query_checked_later,
    require,
    run_authorized,
)
from backend.platform.agentlink import service
from backend.platform.agentlink.connection import serve_agent
from backend.platform.agentlink.hub import get_hub
from backend.platform.agentlink.schemas import AgentJobRead, AgentStatus
from backend.platform.deps import SessionDep
from backend.platform.errors import Forbidden

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])

Printer = Annotated[Principal, Depends(require(Permission.PRINT))]
MAX_WAIT_SECONDS = 25.0
JobWaitSeconds = Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)]
JOB_WAIT_SECONDS = TypeAdapter(JobWaitSeconds)


@router.get("/status", response_model=AgentStatus)
@hot_route(Permission.VISIT_READ)
async def agent_status(
    counter_id: str,
    request: Request,
    wait: Annotated[int, Query(ge=0, le=long_poll.MAX_WAIT_SECONDS)] = 0,
) -> Response:
    """Whether the counter's agent is there: a hot route (the staff console asks all day), 304
    while the console holds the answer (its ETag); with ``wait`` a long-poll
    (``backend.platform.long_poll``), answered when the agent connects or disconnects (its
    connection's row, written or deleted, publishes the counter's ``devices_key``:
    ``backend.counter.wake``)."""
    keys = (long_poll.devices_key(counter_id),)

    def look(session: Session, _principal: Principal) -> long_poll.Look:
        status = service.status(session, counter_id)
        answer = conditional.answer_model(request, status, conditional.NO_CACHE)
        return long_poll.Look(answer, keys)

    return await long_poll.answer(request, look, wait, keys)


@router.post("/jobs/{job_id}/reprint", response_model=AgentJobRead, status_code=201)
def reprint(job_id: str, principal: Printer, session: SessionDep) -> AgentJobRead:
    return service.reprint_job(session, principal, job_id)


@router.get("/jobs/{job_id}", response_model=AgentJobRead)
@hot_route(Permission.VISIT_READ)
async def get_job(
    job_id: str,
    request: Request,
    wait: Annotated[object, query_checked_later(JobWaitSeconds)] = 0,
) -> AgentJobRead:
    """The job; with ``wait``, held open until it is done or failed (long-poll).

    The wait is an asyncio wait (no thread, no database lock); a process holding its budget of
    waits answers 503 ``too_many_waits`` at once."""

    # A hot route (one thread hand-off); ``wait`` is checked after the caller.
    def look(session: Session, principal: Principal) -> AgentJobRead | service.JobWait:
        seconds = checked_query(JOB_WAIT_SECONDS, wait, "wait")
        return service.read_job(session, principal, job_id, wait=seconds)

    found = await run_authorized(request, look)
    if isinstance(found, AgentJobRead):
        return found

    async def when_ready() -> AsyncIterator[str]:
        # Runs after the request's transaction has ended: waiting holds no database lock.
        read = await service.wait_for_job(found)
        yield read.model_dump_json()

    return StreamingResponse(when_ready(), media_type="application/json")  # type: ignore[return-value]


# --- the agents' connection ---------------------------------------------------------------


@router.websocket("/ws")
async def agent_socket(websocket: WebSocket) -> None:
    try:
        identity = await asyncio.to_thread(
            service.authenticate_agent, websocket.headers.get("authorization", "")
        )
    except Forbidden:
        await websocket.close(code=4403)  # before accept: the client sees HTTP 403
        return
    await websocket.accept()

    async def receive() -> protocol.AgentMessage:
        return protocol.parse_from_agent(await websocket.receive_text())

    async def send(message: protocol.BackendMessage) -> None:
        await websocket.send_text(protocol.encode(message))

    try:
        await serve_agent(get_hub(), identity, receive, send)
    except (WebSocketDisconnect, TimeoutError, RuntimeError, ValueError):
        pass
    finally:
        if websocket.client_state.name == "CONNECTED":
            await websocket.close()
