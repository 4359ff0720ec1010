"""API shapes of the case workbench."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DeadlineState = Literal["due", "overdue", "none"]


class CharacterFlag(BaseModel):
    """A character of a name or address the core system's character set cannot hold."""

    field: str = Field(description="where, e.g. members.0.name")
    position: int
    original: str
    codepoints: str = Field(description="e.g. U+9AD9")
    substitute: str
    decision: Literal["substitute", "gaiji"] | None = Field(
        default=None, description="substitute: input the substitute; gaiji: register a 外字"
    )


class WorkItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    procedure_id: str
    procedure_name: str
    department: str
    state: str
    deadline: dt.date | None
    deadline_state: DeadlineState = "none"
    assignee_id: str | None
    assignee_name: str | None
    team: str | None
    return_reason: str | None
    state_changed_at: dt.datetime


class CaseSummary(BaseModel):
    id: str
    visit_id: str
    reception_label: str | None
    event: str
    event_date: dt.date
    filed_on: dt.date
    handed_off_at: dt.datetime
    deadline: dt.date | None
    deadline_state: DeadlineState
    characters_flagged: int = Field(description="characters still waiting for a decision")
    work_items: list[WorkItemRead]


class JourneyStep(BaseModel):
    kind: str
    at: dt.datetime
    data: dict[str, Any]


class CaseDetail(CaseSummary):
    charset: str
    record: dict[str, Any] | None = Field(description="the visit record as handed off")
    procedures: list[dict[str, Any]] = Field(description="the guidance result, with reasons")
    documents: list[dict[str, Any]]
    characters: list[CharacterFlag]
    journey: list[JourneyStep]


class CaseFilters(BaseModel):
    """What the list is narrowed to; name and birth date only for authorised roles."""

    department: str | None = None
    state: str | None = None
    event: str | None = None
    date_from: dt.date | None = Field(default=None, description="filed on or after")
    date_to: dt.date | None = Field(default=None, description="filed on or before")
    deadline: DeadlineState | None = None
    reception: str | None = Field(default=None, description="受付番号, e.g. A-001 2026-12-02")
    name: str | None = None
    birth_date: dt.date | None = None
    limit: int = Field(default=100, ge=1, le=500)


class ReturnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee_name: str | None = Field(default=None, max_length=100)
    team: str | None = Field(default=None, max_length=100)


class CharacterDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int = Field(ge=0, description="position in the case's characters")
    decision: Literal["substitute", "gaiji"]
