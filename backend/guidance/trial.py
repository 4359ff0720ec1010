"""Try a draft catalog on a synthetic household before activating it.

The households are invented (backend/guidance/samples/trial_households.json); the visit's
tenant is the admin's own. The answer compares what the draft lists with what the active
catalog lists for the same household: procedures added, removed, and changed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.guidance import service
from backend.guidance.catalog import CompiledCatalog
from backend.guidance.engine import evaluate
from backend.identity.tenants.models import Tenant
from backend.platform.errors import NotFound
from contracts import GuidanceResult, ProcedureResult, VisitRecord

HOUSEHOLDS_PATH = Path(__file__).parent / "samples" / "trial_households.json"


class TrialHousehold(BaseModel):
    id: str
    label: dict[str, str] = Field(description="by language: ja, en")
    event: str


class ListedProcedure(BaseModel):
    id: str
    name: str
    deadline: str | None = None
    fee_yen: int = 0


class ChangedProcedure(ListedProcedure):
    fields: list[str] = Field(description="what differs for this household: deadline, items, …")
    before: ListedProcedure = Field(description="as the active catalog lists it")


class TrialResult(BaseModel):
    household: TrialHousehold
    draft: list[ListedProcedure]
    active: list[ListedProcedure]
    added: list[ListedProcedure] = Field(description="listed by the draft, not by the active")
    removed: list[ListedProcedure] = Field(description="listed by the active, not by the draft")
    changed: list[ChangedProcedure]
    open_questions: int = Field(description="questions the draft still asks for this household")


@cache
def _households() -> dict[str, dict[str, Any]]:
    data = json.loads(HOUSEHOLDS_PATH.read_text(encoding="utf-8"))
    return {h["id"]: h for h in data["households"]}


def households() -> list[TrialHousehold]:
    return [_describe(h) for h in _households().values()]


def _describe(household: dict[str, Any]) -> TrialHousehold:
    return TrialHousehold(
        id=household["id"], label=household["label"], event=household["visit"]["event"]
    )


def _listed(procedure: ProcedureResult) -> ListedProcedure:
    deadline = procedure.deadline.isoformat() if procedure.deadline else None
    return ListedProcedure(
        id=procedure.id, name=procedure.name, deadline=deadline, fee_yen=procedure.fee_yen
    )


def _differences(before: ProcedureResult, after: ProcedureResult) -> list[str]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [name for name in new if old.get(name) != new.get(name)]


def _compare(draft: GuidanceResult, active: GuidanceResult) -> dict[str, Any]:
    old = {p.id: p for p in active.procedures}
    new = {p.id: p for p in draft.procedures}
    changed = []
    for pid in new.keys() & old.keys():
        fields = _differences(old[pid], new[pid])
        if fields:
            listed = _listed(new[pid]).model_dump()
            changed.append(ChangedProcedure(**listed, fields=fields, before=_listed(old[pid])))
    return {
        "added": [_listed(p) for pid, p in new.items() if pid not in old],
        "removed": [_listed(p) for pid, p in old.items() if pid not in new],
        "changed": sorted(changed, key=lambda c: list(new).index(c.id)),
    }


def run(session: Session, tenant_id: str, number: int, household_id: str) -> TrialResult:
    """What version ``number`` lists for the household, against the active catalog."""
    household = _households().get(household_id)
    if household is None:
        raise NotFound(f"見本の世帯 {household_id} はありません。", code="household_not_found")
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    visit = VisitRecord.model_validate(
        {**household["visit"], "tenant": {"code": tenant.code, "name": tenant.name}}
    )
    target = service.get_version(session, number)
    draft_catalog: CompiledCatalog = service.compiled_version(target)
    draft = evaluate(visit, draft_catalog)
    active = evaluate(visit, service.active_catalog(session)[1])
    return TrialResult(
        household=_describe(household),
        draft=[_listed(p) for p in draft.procedures],
        active=[_listed(p) for p in active.procedures],
        open_questions=len(draft.questions),
        **_compare(draft, active),
    )
