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


class LocalProcedure(GuidanceModel):
    """A procedure in the resident's language (``GuidanceResult.lang``), shown beside the
    Japanese of ``ProcedureResult`` (the clerk points at the Japanese, the resident reads this).
    A text the catalog's translation lacks is in English, else Japanese."""

    name: str
    department: str
    counter: str
    floor: str | None = Field(default=None, description="the counter's floor, e.g. 2F / 2층")
    reasons: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


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
    local: LocalProcedure | None = Field(
        default=None, description="in the resident's language, when one was asked for (lang)"
    )


class QuestionResult(GuidanceModel):
    id: str
    text: dict[str, str] = Field(description="by language: ja, en")
    type: Literal["bool", "choice", "int", "text"] = "bool"
    choices: list[str] = Field(default_factory=list)
    choice_text: dict[str, str] = Field(
        default_factory=dict, description="each choice in the resident's language, when asked for"
    )
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
    lang: str | None = Field(
        default=None,
        description="the resident's language the local texts are in (en, zh, ko, vi, pt); "
        "null: Japanese only",
    )

    def to_json_dict(self) -> dict[str, object]:
        """JSON-ready, leaving out the fields added later while they hold their default, so a
        result that does not use them hashes as before (signed documents bind that hash)."""
        data = self.model_dump(mode="json")
        if data.get("lang") is None:
            del data["lang"]
        for procedure in data["procedures"]:
            if procedure.get("uncertain") is False:
                del procedure["uncertain"]
            if procedure.get("local") is None:
                del procedure["local"]
        for question in data["questions"]:
            if question.get("decides") == []:
                del question["decides"]
            if question.get("choice_text") == {}:
                del question["choice_text"]
        return data
