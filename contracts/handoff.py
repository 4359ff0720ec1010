"""The hand-off (``madoguchi.handoff/1``): one case as the back office receives it.

A compatible addition to the record package: the canonical visit record, the procedures the
guidance engine chose, links to the rendered documents, and the keys a receiver needs to
process the case exactly once (``idempotency_key`` is stable per visit, destination and
version; a corrected case is sent again with a higher ``version``). Pydantic only, no I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.guidance import ProcedureResult
from contracts.visit import TenantRef, VisitRecord

HANDOFF_SCHEMA_ID: Final = "madoguchi.handoff/1"


class HandoffModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DocumentLink(HandoffModel):
    """A rendered document of the visit: fetch it from ``url`` and check ``sha256``."""

    id: str
    form: str = Field(description="form id, e.g. moving-in-notification")
    filename: str | None = None
    content_type: str | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    url: str = Field(description="absolute URL of the document's bytes (authenticated)")


class Handoff(HandoffModel):
    """One case for one destination. Receivers deduplicate on ``idempotency_key``."""

    schema_: Literal["madoguchi.handoff/1"] = Field(default=HANDOFF_SCHEMA_ID, alias="schema")
    idempotency_key: str = Field(description="stable per (visit, destination, version)")
    version: int = Field(ge=1, description="1 for the first hand-off of a visit, +1 per resend")
    visit_id: str
    tenant: TenantRef
    destination: str = Field(description="name of the destination this copy was made for")
    created_at: dt.datetime = Field(description="when the case was handed off (UTC)")
    record: VisitRecord
    procedures: list[ProcedureResult] = Field(default_factory=list)
    documents: list[DocumentLink] = Field(default_factory=list)

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def handoff_json_schema() -> dict[str, object]:
    schema = Handoff.model_json_schema(by_alias=True)
    schema["$id"] = "https://madoguchi.invalid/schemas/handoff.json"
    schema["title"] = HANDOFF_SCHEMA_ID
    return schema
