"""The admin console's catalog editor: browse procedures, edit one in a draft, try the draft.

Activation, roll-back and the diff in words are the catalog versions' own routes
(``router.py``, ``sharing_router.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from backend.guidance import editing, service, trial
from backend.guidance.catalog import CompiledCatalog
from backend.guidance.schemas import CatalogVersionRead
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from contracts import EVENTS

router = APIRouter(prefix="/api/v1/catalog", tags=["guidance"])

CatalogAdmin = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]
ProcedureId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]


class Named(BaseModel):
    id: str
    name: str
    department: str | None = None


class CatalogBrowse(BaseModel):
    number: int | None = Field(description="None: the built-in sample (no version stored)")
    label: str
    digest: str = Field(description="send it back as expected_digest when saving a procedure")
    active: bool
    draft: bool = Field(description="never activated: its procedures can be edited in place")
    events: list[str]
    departments: list[Named]
    counters: list[Named]
    procedures: list[dict[str, Any]] = Field(
        description="as the edit form holds them: conditions as text (YAML flow style)"
    )


class NewDraft(BaseModel):
    base: int | None = Field(default=None, ge=1, description="default: the active catalog")


class ProcedureForm(BaseModel):
    procedure: dict[str, Any] = Field(
        description="the procedure's fields as in the catalog; rules[].when / member and "
        "items[].when may be condition text such as {fact: from_abroad}"
    )
    expected_digest: str | None = Field(
        default=None,
        max_length=64,
        description="the digest the form was opened on; 409 catalog_draft_changed if it moved",
    )


class SavedProcedure(BaseModel):
    version: CatalogVersionRead
    changes: list[str] = Field(description="what this save changed, in words")


class TrialRequest(BaseModel):
    household: str = Field(max_length=80, description="id of a sample household")


def _browse(
    number: int | None, active: bool, draft: bool, compiled: CompiledCatalog
) -> CatalogBrowse:
    spec = compiled.spec
    return CatalogBrowse(
        number=number,
        label=compiled.version_label,
        digest=compiled.digest,
        active=active,
        draft=draft,
        events=list(EVENTS),
        departments=[Named(id=d.id, name=d.name) for d in spec.departments],
        counters=[Named(id=c.id, name=c.name, department=c.department) for c in spec.counters],
        procedures=[editing.form_of(p) for p in spec.procedures],
    )


@router.get("/procedures", response_model=CatalogBrowse)
def browse(
    principal: CatalogAdmin,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="default: active")] = None,
) -> CatalogBrowse:
    """Every procedure of a version (default: the active catalog, or the sample)."""
    if version is None:
        number, compiled = service.active_catalog(session)
        return _browse(number, True, False, compiled)
    row = service.get_version(session, version)
    return _browse(row.number, row.active, editing.is_draft(row), service.compiled_version(row))


@router.post("/drafts", response_model=CatalogVersionRead, status_code=201)
def new_draft(body: NewDraft, principal: CatalogAdmin, session: SessionDep) -> CatalogVersionRead:
    """A draft to edit, copied from a version (default: the active catalog)."""
    draft = editing.start_draft(session, principal.tenant_id, principal.actor, body.base)
    return CatalogVersionRead.model_validate(draft)


@router.put("/versions/{number}/procedures/{procedure_id}", response_model=SavedProcedure)
def save_procedure(
    number: VersionNumber,
    procedure_id: ProcedureId,
    body: ProcedureForm,
    principal: CatalogAdmin,
    session: SessionDep,
) -> SavedProcedure:
    """Write one procedure into a draft; 422 ``procedure_invalid`` with ``fields`` (loc,
    message) for each field in error; 409 when the version has been active, or was saved by
    someone else since ``expected_digest``."""
    version, changes = editing.save_procedure(
        session,
        principal.tenant_id,
        number,
        procedure_id,
        body.procedure,
        principal.actor,
        body.expected_digest,
    )
    return SavedProcedure(version=CatalogVersionRead.model_validate(version), changes=changes)


@router.get("/trial-households", response_model=list[trial.TrialHousehold])
def trial_households(principal: CatalogAdmin) -> list[trial.TrialHousehold]:
    """The synthetic households a draft can be tried on."""
    return trial.households()


@router.post("/versions/{number}/trial", response_model=trial.TrialResult)
def try_version(
    number: VersionNumber, body: TrialRequest, principal: CatalogAdmin, session: SessionDep
) -> trial.TrialResult:
    """What the version lists for a sample household, compared with the active catalog."""
    return trial.run(session, principal.tenant_id, number, body.household)
