"""The case workbench over HTTP: cases (list, search, detail), work items' outcomes, and what
the counter sees of them. One service call per route (``service.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.backoffice import service
from backend.backoffice.schemas import (
    AssignRequest,
    CaseDetail,
    CaseFilters,
    CaseSummary,
    CharacterDecision,
    DeadlineState,
    ReturnRequest,
    WorkItemRead,
)
from backend.backoffice.states import WorkItemAction
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["backoffice"])

CaseReader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
CaseWorker = Annotated[Principal, Depends(require(Permission.CASE_WORK))]


@router.get("/cases", response_model=list[CaseSummary])
def list_cases(
    principal: CaseReader,
    session: SessionDep,
    department: str | None = None,
    state: str | None = None,
    event: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    deadline: DeadlineState | None = None,
    reception: Annotated[str | None, Query(max_length=40)] = None,
    name: Annotated[str | None, Query(max_length=100)] = None,
    birth_date: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CaseSummary]:
    """Cases, newest first. ``reception`` is the 受付番号 (A-001 2026-12-02, or A-001);
    ``name`` and ``birth_date`` need ``case.search_personal``. Every search is audited."""
    filters = CaseFilters(
        department=department, state=state, event=event, date_from=date_from,
        date_to=date_to, deadline=deadline, reception=reception, name=name,
        birth_date=birth_date, limit=limit,
    )  # fmt: skip
    return service.search_cases(session, principal, filters)


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: str, principal: CaseReader, session: SessionDep) -> CaseDetail:
    return service.case_detail(session, principal, case_id)


@router.post("/cases/{case_id}/characters", response_model=CaseDetail)
def decide_character(
    case_id: str, body: CharacterDecision, principal: CaseWorker, session: SessionDep
) -> CaseDetail:
    """For the flagged character at ``index``: input the substitute, or register a 外字."""
    return service.decide_character(session, principal, case_id, body.index, body.decision)


@router.post("/work-items/{item_id}/take", response_model=WorkItemRead)
def take(item_id: str, principal: CaseWorker, session: SessionDep) -> WorkItemRead:
    """Take the item (受付 → 入力), or take over one in progress."""
    return service.act(session, principal, item_id, WorkItemAction.TAKE)


@router.post("/work-items/{item_id}/advance", response_model=WorkItemRead)
def advance(item_id: str, principal: CaseWorker, session: SessionDep) -> WorkItemRead:
    """入力 → 照合 → 完了."""
    return service.act(session, principal, item_id, WorkItemAction.ADVANCE)


@router.post("/work-items/{item_id}/return", response_model=WorkItemRead)
def return_item(
    item_id: str, body: ReturnRequest, principal: CaseWorker, session: SessionDep
) -> WorkItemRead:
    """差戻し: back to the counter, with the reason."""
    return service.act(session, principal, item_id, WorkItemAction.RETURN, body.reason)


@router.post("/work-items/{item_id}/reopen", response_model=WorkItemRead)
def reopen(item_id: str, principal: CaseWorker, session: SessionDep) -> WorkItemRead:
    """A returned item the counter put right: 差戻し → 受付."""
    return service.act(session, principal, item_id, WorkItemAction.REOPEN)


@router.post("/work-items/{item_id}/assign", response_model=WorkItemRead)
def assign(
    item_id: str, body: AssignRequest, principal: CaseWorker, session: SessionDep
) -> WorkItemRead:
    return service.assign(session, principal, item_id, body.assignee_name, body.team)


@router.get("/visits/{visit_id}/work-items", response_model=list[WorkItemRead])
def visit_work_items(
    visit_id: str, principal: CaseReader, session: SessionDep
) -> list[WorkItemRead]:
    """The counter's view: the state of each work item of the visit, returns with reasons."""
    return service.visit_work_items(session, principal, visit_id)


@router.get("/work-items/returned", response_model=list[CaseSummary])
def returned(principal: CaseReader, session: SessionDep) -> list[CaseSummary]:
    """The cases with an item returned to the counter (差戻し), for the staff console."""
    return service.returned_items(session, principal)
