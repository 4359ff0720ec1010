"""Request and response shapes of the guidance and catalog API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from backend.guidance.translations import LANGUAGE_PATTERN
from contracts import VisitRecord

Answer = bool | int | str
ResidentLanguage = Annotated[
    str | None,
    Query(
        pattern=LANGUAGE_PATTERN,
        description="the resident's language (en, zh, ko, vi, pt; zh-Hans and pt-BR too): each "
        "procedure gets ``local`` texts in it beside the Japanese; ja or none: Japanese only",
    ),
]


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


class GuidanceRequest(ApiModel):
    visit: VisitRecord
    answers: dict[str, Answer] = Field(
        default_factory=dict,
        description="as --answer KEY=VALUE: has_dog, members.1.insurance, …; a doubled prefix "
        "(members.0.members.0.nationality) is read once; わからない marks the question unresolved",
    )
    core_answers: bool = Field(
        default=False,
        description="fill what the core system records (国保, 介護認定, 障害者手帳, 児童手当) for "
        "members with a 住民票コード instead of asking; without an answer from it, ask as usual",
    )


class CatalogSource(ApiModel):
    source: str = Field(min_length=1, max_length=2_000_000, description="the catalog as YAML")
    note: str | None = Field(default=None, max_length=500)


class CatalogIssueRead(ApiModel):
    line: int | None
    field: str
    message: str


class CatalogValidation(ApiModel):
    valid: bool
    issues: list[CatalogIssueRead] = Field(default_factory=list)
    procedures: int | None = None


class CatalogVersionRead(ApiModel):
    number: int
    catalog_id: str
    label: str
    digest: str
    procedures: int
    active: bool
    activated_at: dt.datetime | None
    created_at: dt.datetime
    uploaded_by: str | None
    note: str | None


class CatalogVersionDetail(CatalogVersionRead):
    source: str


class ActiveCatalog(ApiModel):
    """The catalog guidance uses now: a stored version, or the built-in sample when none."""

    number: int | None
    label: str
    sample: bool
    procedures: int


class SectionDiff(ApiModel):
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: dict[str, list[str]] = Field(
        default_factory=dict, description="id → names of the fields that differ"
    )


class RuleDates(ApiModel):
    """A rule that starts or ends on a date (施行日・廃止日) in the compared version."""

    procedure: str
    rule: int = Field(description="position of the rule in the procedure, from 0")
    reason: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    changed: bool = Field(description="the rule or its dates are new compared with the base")


class CatalogDiff(ApiModel):
    base: int | None = Field(description="version compared against (None: built-in sample)")
    target: int
    departments: SectionDiff
    counters: SectionDiff
    questions: SectionDiff
    procedures: SectionDiff
    rule_dates: list[RuleDates] = Field(
        default_factory=list, description="rules of the target with valid_from / valid_until"
    )
    text: list[str] = Field(description="unified diff of the YAML text")
