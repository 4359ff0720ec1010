"""Response shapes of ``/api/v1/agent``.

The request shapes of the counter's card reads and prints: ``backend.counter.card_router``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


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
