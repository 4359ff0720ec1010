"""``/api/v1/agent``: the counter's card reads, the tablet's PIN, and prints for a counter.

The job these create is then followed at ``/api/v1/agent/jobs/{id}``
(``backend.platform.agentlink.router``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from backend.counter import card_reading
from backend.platform.access import Permission, Principal, require
from backend.platform.agentlink.schemas import AgentJobRead
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])

Writer = Annotated[Principal, Depends(require(Permission.VISIT_WRITE))]
Printer = Annotated[Principal, Depends(require(Permission.PRINT))]
Tablet = Annotated[Principal, Depends(require(Permission.TABLET_SESSION))]


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


@router.post("/card-reads", response_model=AgentJobRead, status_code=201)
def request_card_read(body: CardReadCreate, principal: Writer, session: SessionDep) -> AgentJobRead:
    return card_reading.request_card_read(
        session,
        visit_id=body.visit_id,
        pin_at=body.pin_at,
        allow_last_try=body.allow_last_try,
        actor=principal.actor,
    )


@router.get("/pin-request", response_model=AgentJobRead | None)
def pending_pin_request(principal: Tablet, session: SessionDep) -> AgentJobRead | None:
    """The card read waiting for the PIN at this tablet's counter, if any."""
    return card_reading.pending_pin_request(session, principal)


@router.post("/jobs/{job_id}/pin", response_model=AgentJobRead)
def submit_pin(
    job_id: str, body: PinSubmit, principal: Tablet, session: SessionDep
) -> AgentJobRead:
    return card_reading.submit_pin(session, principal, job_id, body.pin)


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
