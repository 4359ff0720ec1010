"""Request and response shapes of ``/api/v1/agent``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class JobError(Schema):
    code: str
    message: str
    retries_left: int | None = None


class AgentJobRead(Schema):
    id: str
    kind: str
    status: str
    counter_id: str | None
    visit_id: str | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: JobError | None
    attempts: int
    agent_online: bool
    reprintable: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None


class AgentStatus(Schema):
    counter_id: str
    paired: bool
    online: bool
    kinds: list[str]
    device_name: str | None = None
