"""A work item's state change (``madoguchi.workitem/1``): what the back office did with a case.

A case is one handed-off visit; its work items are one per procedure and department. Each
change of state (受付 → 入力 → 照合 → 完了, or 差戻し back to the counter) is one event, sent
to the destinations that subscribe to the topic ``workitem`` (webhooks, the pull feed) in the
order the changes were committed. Receivers deduplicate on ``idempotency_key``. Pydantic
only, no I/O; no personal data (a return's reason is free text and stays in madoguchi).
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.visit import TenantRef

WORKITEM_SCHEMA_ID: Final = "madoguchi.workitem/1"

WorkItemState = Literal["received", "input", "verify", "done", "returned"]
WORK_ITEM_STATES: tuple[str, ...] = WorkItemState.__args__  # type: ignore[attr-defined]


class WorkItemEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["madoguchi.workitem/1"] = Field(default=WORKITEM_SCHEMA_ID, alias="schema")
    idempotency_key: str = Field(description="stable per (work item, destination, version)")
    version: int = Field(ge=1, description="1 for the first change of the item, +1 per change")
    visit_id: str
    tenant: TenantRef
    destination: str
    created_at: dt.datetime = Field(description="when the change was made (UTC)")
    case_id: str
    work_item_id: str
    reception_label: str | None = Field(default=None, description="e.g. A-001 2026-12-02")
    procedure_id: str
    procedure_name: str
    department: str
    state: WorkItemState
    previous_state: WorkItemState
    assignee: str | None = None
    team: str | None = None
    returned: bool = Field(default=False, description="差戻し: the counter has to act")

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
