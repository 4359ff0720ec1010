"""The journey report's API shapes: baseline surveys in and out."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from backend.journey.figures import EVENTS


class Stop(BaseModel):
    """One stop of a walkthrough: a counter, and what the resident did there."""

    counter: str = Field(min_length=1, max_length=100, description="e.g. 市民課 2番窓口")
    wait_minutes: float = Field(default=0, ge=0, le=600)
    service_minutes: float = Field(default=0, ge=0, le=600)
    forms_written: int = Field(default=0, ge=0, le=100)
    fields_handwritten: int = Field(default=0, ge=0, le=1000)
    floor_changes: int = Field(default=0, ge=0, le=20, description="walks to another floor")


class SurveyWrite(BaseModel):
    event: str = Field(pattern="^(" + "|".join(EVENTS) + ")$")
    persona: str = Field(min_length=1, max_length=200, description="e.g. 30代・子ども2人")
    surveyed_on: dt.date | None = None
    stops: list[Stop] = Field(min_length=1, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)
    photo_captions: list[str] = Field(default_factory=list, max_length=40)


class SurveyRead(SurveyWrite):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: dt.datetime


class ImportResult(BaseModel):
    imported: int
