"""The guidance result: every procedure a visit needs, with reasons, and the open questions."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GuidanceModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CounterRef(GuidanceModel):
    # frozen: one instance per catalog counter is shared by every result that routes to it
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    floor: str | None = None
    number: str | None = None
    order: int = 0


class ProcedureResult(GuidanceModel):
    id: str
    name: str
    department: str
    counter: CounterRef
    reasons: list[str] = Field(min_length=1, description="why, in words the resident understands")
    items: list[str] = Field(default_factory=list, description="things to bring")
    fee_yen: int = 0
    deadline: dt.date | None = None
    minutes: int = 0
    forms: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    members: list[int] = Field(default_factory=list, description="indices of members concerned")
    needs_individual_number: bool = Field(
        default=False, description="the procedure needs the 個人番号 (read the card only then)"
    )
    uncertain: bool = Field(
        default=False,
        description="要確認: listed because a question the clerk could not answer (わからない) "
        "may make it needed; the reasons say what it depends on",
    )


class QuestionResult(GuidanceModel):
    id: str
    text: dict[str, str] = Field(description="by language: ja, en")
    type: Literal["bool", "choice", "int", "text"] = "bool"
    choices: list[str] = Field(default_factory=list)
    member: int | None = Field(default=None, description="member index for per-member facts")
    decides: list[str] = Field(
        default_factory=list,
        description="ids of the procedures one of the answers adds, removes or changes; "
        "questions come grouped by member, the ones deciding most first",
    )


class Totals(GuidanceModel):
    procedures: int = 0
    minutes: int = 0
    fee_yen: int = 0
    counters: int = 0


class GuidanceResult(GuidanceModel):
    procedures: list[ProcedureResult] = Field(default_factory=list)
    questions: list[QuestionResult] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    catalog_version: str | None = None

    def to_json_dict(self) -> dict[str, object]:
        """JSON-ready, leaving out the fields added later while they hold their default, so a
        result that does not use them hashes as before (signed documents bind that hash)."""
        data = self.model_dump(mode="json")
        for procedure in data["procedures"]:
            if procedure.get("uncertain") is False:
                del procedure["uncertain"]
        for question in data["questions"]:
            if question.get("decides") == []:
                del question["decides"]
        return data
