"""共創 over the API: export a bundle, import one as a draft, differences in words, the
three-way view of an upstream municipality, and taking its changes one procedure at a time."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from backend.guidance import service, sharing, wording
from backend.guidance.schemas import CatalogVersionRead
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/catalog", tags=["guidance"])

CatalogAdmin = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]
TenantCode = Annotated[str, Path(description="the upstream's 団体コード")]
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Imported(BaseModel):
    draft: CatalogVersionRead
    upstream_code: str
    upstream_name: str
    signer_fingerprint: str
    changes: list[str] = Field(description="from our active catalog to the draft, in words")


class ProcedureThreeWayRead(BaseModel):
    id: str
    name: str
    state: str = Field(description="upstream_changed, ours_changed, both_changed, …")
    changes: list[str] = Field(description="upstream then → upstream now, in words")
    ours_to_upstream: list[str] = Field(
        default_factory=list, description="ours → upstream now: what adopting it changes"
    )


class UpstreamRead(BaseModel):
    code: str
    name: str
    imports: int = Field(description="bundles imported from it")
    label: str = Field(description="version label of the latest bundle imported")


class AdoptRequest(BaseModel):
    procedures: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        min_length=1, max_length=500
    )


@router.get("/bundle", response_class=Response)
def export_bundle(principal: CatalogAdmin, session: SessionDep) -> Response:
    """The active catalog as a signed bundle file, to hand to another municipality."""
    data = sharing.export_bundle(session, principal.tenant_id, principal.actor)
    return Response(
        data,
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="catalog-bundle.json"'},
    )


@router.post("/bundle", response_model=Imported, status_code=201)
def import_bundle(
    principal: CatalogAdmin,
    session: SessionDep,
    bundle: Annotated[dict[str, Any], Body(description="the bundle file's JSON as exported")],
) -> Imported:
    """Import a bundle as a draft version (never activated)."""
    read = sharing.read_bundle(json.dumps(bundle, ensure_ascii=False).encode("utf-8"))
    before = service.active_source(session)
    draft, fork = sharing.import_bundle(session, principal.tenant_id, read, principal.actor)
    return Imported(
        draft=CatalogVersionRead.model_validate(draft),
        upstream_code=fork.upstream_code,
        upstream_name=fork.upstream_name,
        signer_fingerprint=fork.signer_fingerprint,
        changes=wording.diff_in_words(before, draft.source),
    )


@router.get("/versions/{number}/changes", response_model=list[str])
def changes_in_words(
    number: VersionNumber, principal: CatalogAdmin, session: SessionDep
) -> list[str]:
    """What activating version ``number`` would change, in words (児童手当の期限を 15日 → 14日)."""
    target = service.get_version(session, number)
    return wording.diff_in_words(service.active_source(session), target.source)


@router.get("/upstream/{code}", response_model=list[ProcedureThreeWayRead])
def upstream_view(
    code: TenantCode, principal: CatalogAdmin, session: SessionDep
) -> list[ProcedureThreeWayRead]:
    """Per procedure: upstream then (at the fork), upstream now (latest import), ours."""
    return [
        ProcedureThreeWayRead(
            id=r.id,
            name=r.name,
            state=r.state,
            changes=r.changes,
            ours_to_upstream=r.ours_to_upstream,
        )
        for r in sharing.three_way(session, code)
    ]


@router.get("/upstreams", response_model=list[UpstreamRead])
def upstreams(principal: CatalogAdmin, session: SessionDep) -> list[UpstreamRead]:
    """The municipalities this one imported a catalog from (for the three-way view)."""
    return [UpstreamRead(**vars(u)) for u in sharing.upstreams(session)]


@router.post("/upstream/{code}/adopt", response_model=CatalogVersionRead, status_code=201)
def adopt(
    code: TenantCode, body: AdoptRequest, principal: CatalogAdmin, session: SessionDep
) -> CatalogVersionRead:
    """A new draft: our active catalog with the chosen procedures as upstream has them now."""
    draft = sharing.adopt(session, principal.tenant_id, code, body.procedures, principal.actor)
    return CatalogVersionRead.model_validate(draft)
