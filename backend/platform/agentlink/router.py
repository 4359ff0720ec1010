"""``/api/v1/agent``: the agents' WebSocket, and jobs for staff and tablets.

A clerk asks for a card read (the PIN then comes from the counter's tablet, or the reader's
PIN pad) or a print, and long-polls the job until the agent's result is stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.platform.access import DEVICE_PERMISSIONS, Permission, Principal, require
from backend.platform.agentlink import service
from backend.platform.agentlink.connection import serve_agent
from backend.platform.agentlink.errors import JobNotFound
from backend.platform.agentlink.hub import AgentIdentity, get_hub
from backend.platform.agentlink.schemas import (
    AgentJobRead,
    AgentStatus,
    CardReadCreate,
    PinSubmit,
    PrintCreate,
)
from backend.platform.db import session_scope, utcnow
from backend.platform.deps import SessionDep
from backend.platform.errors import Forbidden
from contracts.agent import Message

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])

Writer = Annotated[Principal, Depends(require(Permission.VISIT_WRITE))]
Reader = Annotated[Principal, Depends(require(Permission.VISIT_READ))]
Printer = Annotated[Principal, Depends(require(Permission.PRINT))]
Tablet = Annotated[Principal, Depends(require(Permission.TABLET_SESSION))]
MAX_WAIT_SECONDS = 25.0


def _check_tablet_counter(principal: Principal, counter_id: str | None) -> None:
    """A tablet sees only the jobs of the counter it is paired with."""
    if principal.device is not None and principal.device.counter_id != counter_id:
        raise JobNotFound()


@router.get("/status", response_model=AgentStatus)
def agent_status(counter_id: str, principal: Reader, session: SessionDep) -> AgentStatus:
    return service.status(session, get_hub(), counter_id)


@router.post("/card-reads", response_model=AgentJobRead, status_code=201)
def request_card_read(body: CardReadCreate, principal: Writer, session: SessionDep) -> AgentJobRead:
    hub = get_hub()
    job = service.request_card_read(
        session,
        hub,
        visit_id=body.visit_id,
        pin_at=body.pin_at,
        allow_last_try=body.allow_last_try,
        actor=principal.actor,
    )
    return service.job_read(session, hub, job)


@router.get("/pin-request", response_model=AgentJobRead | None)
def pending_pin_request(principal: Tablet, session: SessionDep) -> AgentJobRead | None:
    """The card read waiting for the PIN at this tablet's counter, if any."""
    assert principal.device is not None
    job = service.pending_pin_job(session, principal.device.counter_id)
    return None if job is None else service.job_read(session, get_hub(), job)


@router.post("/jobs/{job_id}/pin", response_model=AgentJobRead)
def submit_pin(
    job_id: str, body: PinSubmit, principal: Tablet, session: SessionDep
) -> AgentJobRead:
    job = service.get_job(session, job_id)
    _check_tablet_counter(principal, job.counter_id)
    hub = get_hub()
    return service.job_read(session, hub, service.submit_pin(session, hub, job, body.pin))


@router.post("/print-jobs", response_model=AgentJobRead, status_code=201)
def submit_print(body: PrintCreate, principal: Printer, session: SessionDep) -> AgentJobRead:
    hub = get_hub()
    job = service.submit_print(
        session,
        hub,
        counter_id=body.counter_id,
        data=service.decode_print_data(body.data_b64),
        target=body.target,
        visit_id=body.visit_id,
        label=body.label,
        actor=principal.actor,
    )
    return service.job_read(session, hub, job)


@router.post("/jobs/{job_id}/reprint", response_model=AgentJobRead, status_code=201)
def reprint(job_id: str, principal: Printer, session: SessionDep) -> AgentJobRead:
    hub = get_hub()
    job = service.reprint(session, hub, service.get_job(session, job_id), actor=principal.actor)
    return service.job_read(session, hub, job)


@router.get("/jobs/{job_id}", response_model=AgentJobRead)
def get_job(
    job_id: str,
    principal: Reader,
    session: SessionDep,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
) -> AgentJobRead:
    """The job; with ``wait``, held open until it is done or failed (long-poll)."""
    hub = get_hub()
    job = service.get_job(session, job_id)
    _check_tablet_counter(principal, job.counter_id)
    if wait <= 0 or job.status in service.FINAL:
        return service.job_read(session, hub, job)
    tenant_id = principal.tenant_id

    async def when_ready() -> AsyncIterator[str]:
        # Runs after the request's transaction has ended: waiting holds no database lock.
        read = await asyncio.to_thread(service.wait_for_job, hub, tenant_id, job_id, wait)
        yield read.model_dump_json()

    return StreamingResponse(when_ready(), media_type="application/json")  # type: ignore[return-value]


# --- the agents' connection ---------------------------------------------------------------


def authenticate_agent(authorization: str) -> AgentIdentity:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Forbidden("端末の認証情報がありません。", code="agent_token_missing")
    with session_scope(unscoped=True, write=True) as session:
        device = session.scalars(
            select(Device).where(
                Device.token_hash == hash_token(token), Device.revoked_at.is_(None)
            )
        ).one_or_none()
        kind = DeviceKind(device.kind) if device else None
        if (
            device is None
            or kind is None
            or Permission.AGENT_CONNECT not in DEVICE_PERMISSIONS[kind]
        ):
            raise Forbidden("この端末はカウンターエージェントとして登録されていません。")
        device.last_seen_at = utcnow()
        return AgentIdentity(device.id, device.tenant_id, device.counter_id, device.name)


@router.websocket("/ws")
async def agent_socket(websocket: WebSocket) -> None:
    try:
        identity = await asyncio.to_thread(
            authenticate_agent, websocket.headers.get("authorization", "")
        )
    except Forbidden:
        await websocket.close(code=4403)  # before accept: the client sees HTTP 403
        return
    await websocket.accept()

    async def receive() -> Message:
        message = json.loads(await websocket.receive_text())
        if not isinstance(message, dict):
            raise WebSocketDisconnect(code=1003)
        return message

    async def send(message: Message) -> None:
        await websocket.send_text(json.dumps(message, ensure_ascii=False))

    try:
        await serve_agent(get_hub(), identity, receive, send)
    except (WebSocketDisconnect, TimeoutError, RuntimeError, ValueError):
        pass
    finally:
        if websocket.client_state.name == "CONNECTED":
            await websocket.close()
