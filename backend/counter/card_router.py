"""``/api/v1/agent``: the counter's card reads, the tablet's PIN, and prints for a counter.

The job these create is then followed at ``/api/v1/agent/jobs/{id}``
(``backend.platform.agentlink.router``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from backend.counter import card_reading
from backend.platform.access import (
    NOT_SENT,
    Permission,
    Principal,
    body_checked_later,
    checked,
    hot_route,
    require,
    run_authorized,
)
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])

Printer = Annotated[Principal, Depends(require(Permission.PRINT))]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


class CardReadCreate(Schema):
    visit_id: str
    pin_at: Literal["tablet", "reader"] = Field(
        default="tablet",
        description="tablet: the resident types the PIN on the tablet; "
        "reader: on the card reader's own PIN pad",
    )
    allow_last_try: bool = Field(
        default=False, description="the resident confirmed using the last PIN try"
    )


class PinSubmit(Schema):
    pin: str = Field(description="4 digits; kept in memory only, for this job")


class PrintCreate(Schema):
    counter_id: str
    data_b64: str = Field(description="bytes for the printer (ESC/POS or a printable document)")
    target: Literal["receipt", "document"] = "receipt"
    visit_id: str | None = None
    label: str | None = Field(default=None, max_length=100, description="e.g. form id, no PII")


# The card read and the PIN are hot routes (``access.run_authorized``: one thread hand-off
# instead of four or five); their bodies are checked after the caller, as ``require`` orders it.


@router.post("/card-reads", response_model=AgentJobRead, status_code=201)
@hot_route(Permission.VISIT_WRITE)
async def request_card_read(
    request: Request, body: Annotated[object, body_checked_later(CardReadCreate)] = NOT_SENT
) -> AgentJobRead:
    def requested(session: Session, principal: Principal) -> AgentJobRead:
        create = checked(CardReadCreate, body)
        return card_reading.request_card_read(
            session,
            visit_id=create.visit_id,
            pin_at=create.pin_at,
            allow_last_try=create.allow_last_try,
            actor=principal.actor,
        )

    return await run_authorized(request, requested)


@router.get("/pin-request", response_model=AgentJobRead | None)
@hot_route(Permission.TABLET_SESSION)
async def pending_pin_request(request: Request) -> AgentJobRead | None:
    """The card read waiting for the PIN at this tablet's counter, if any."""
    return await run_authorized(request, card_reading.pending_pin_request)


@router.post("/jobs/{job_id}/pin", response_model=AgentJobRead)
@hot_route(Permission.TABLET_SESSION)
async def submit_pin(
    job_id: str, request: Request, body: Annotated[object, body_checked_later(PinSubmit)] = NOT_SENT
) -> AgentJobRead:
    def submitted(session: Session, principal: Principal) -> AgentJobRead:
        pin = checked(PinSubmit, body).pin
        return card_reading.submit_pin(session, principal, job_id, pin)

    return await run_authorized(request, submitted)


@router.post("/print-jobs", response_model=AgentJobRead, status_code=201)
def submit_print(body: PrintCreate, principal: Printer, session: SessionDep) -> AgentJobRead:
    return card_reading.submit_print(
        session,
        counter_id=body.counter_id,
        data_b64=body.data_b64,
        target=body.target,
        visit_id=body.visit_id,
        label=body.label,
        actor=principal.actor,
    )
