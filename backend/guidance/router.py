"""``POST /api/v1/guidance`` and the catalog versions under ``/api/v1/catalog``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from backend.corelink.service import get_core_system
from backend.guidance import service
from backend.guidance.schemas import (
    ActiveCatalog,
    CatalogDiff,
    CatalogSource,
    CatalogValidation,
    CatalogVersionDetail,
    CatalogVersionRead,
    GuidanceRequest,
    ResidentLanguage,
)
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from contracts import GuidanceResult
from integrations.core import CoreSystem

router = APIRouter(prefix="/api/v1", tags=["guidance"])

MAX_VERSION = 2**31 - 1  # an INTEGER column on both databases
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="catalog version number")]

GuidanceUser = Annotated[Principal, Depends(require(Permission.GUIDANCE_USE))]
CatalogAdmin = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]
Core = Annotated[CoreSystem, Depends(get_core_system)]


@router.post("/guidance", response_model=GuidanceResult)
def guidance(
    body: GuidanceRequest,
    principal: GuidanceUser,
    session: SessionDep,
    core: Core,
    lang: ResidentLanguage = None,
) -> GuidanceResult:
    """Every procedure the visit needs, in route order, with the questions still open; with
    ``core_answers``, what the core system records is filled in (marked ``core``); with
    ``lang``, each procedure's texts in that language beside the Japanese (``local``)."""
    return service.guide(session, principal.tenant_id, body, core, lang)


@router.get("/catalog/active", response_model=ActiveCatalog)
def active(principal: GuidanceUser, session: SessionDep) -> ActiveCatalog:
    return service.describe_active(session)


@router.post("/catalog/validate", response_model=CatalogValidation)
def validate(body: CatalogSource, principal: CatalogAdmin) -> CatalogValidation:
    """Check a catalog without storing it: every issue with its line and field."""
    return service.validate_source(body.source)


@router.get("/catalog/versions", response_model=list[CatalogVersionRead])
def versions(principal: CatalogAdmin, session: SessionDep) -> list[CatalogVersionRead]:
    return [CatalogVersionRead.model_validate(v) for v in service.list_versions(session)]


@router.post("/catalog/versions", response_model=CatalogVersionRead, status_code=201)
def upload(body: CatalogSource, principal: CatalogAdmin, session: SessionDep) -> CatalogVersionRead:
    """Store a new version (not active yet); 422 ``catalog_invalid`` lists every issue."""
    version = service.upload(session, principal.tenant_id, body.source, principal.actor, body.note)
    return CatalogVersionRead.model_validate(version)


@router.get("/catalog/versions/{number}", response_model=CatalogVersionDetail)
def version(
    number: VersionNumber, principal: CatalogAdmin, session: SessionDep
) -> CatalogVersionDetail:
    return CatalogVersionDetail.model_validate(service.get_version(session, number))


@router.get("/catalog/versions/{number}/diff", response_model=CatalogDiff)
def version_diff(
    number: VersionNumber,
    principal: CatalogAdmin,
    session: SessionDep,
    against: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="default: the active version")
    ] = None,
) -> CatalogDiff:
    return service.diff(session, number, against)


@router.post("/catalog/versions/{number}/activate", response_model=CatalogVersionRead)
def activate(
    number: VersionNumber, principal: CatalogAdmin, session: SessionDep
) -> CatalogVersionRead:
    version = service.activate(session, principal.tenant_id, number, principal.actor)
    return CatalogVersionRead.model_validate(version)


@router.post("/catalog/rollback", response_model=CatalogVersionRead)
def rollback(principal: CatalogAdmin, session: SessionDep) -> CatalogVersionRead:
    """Re-activate the version that was active before the current one."""
    version = service.rollback(session, principal.tenant_id, principal.actor)
    return CatalogVersionRead.model_validate(version)
