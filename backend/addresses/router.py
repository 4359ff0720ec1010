"""``GET /api/v1/addresses/areas``: the tenant's 町字, for the new-address picker;
``POST /api/v1/addresses/import``: the admin imports the 町字 list from CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from backend.addresses import importing, service
from backend.identity.tenants.models import Tenant
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/addresses", tags=["addresses"])


class AreaRead(BaseModel):
    id: str
    name: str
    kana: str
    full_name: str


@router.get("/areas", response_model=list[AreaRead])
def areas(
    principal: Annotated[Principal, Depends(require(Permission.VISIT_READ))],
    session: SessionDep,
    q: str = "",
) -> list[AreaRead]:
    tenant = session.get(Tenant, principal.tenant_id)
    assert tenant is not None
    area_list, found = service.search(tenant.code, q, areas=service.areas_for(session, tenant.code))
    if area_list is None:
        return []
    return [
        AreaRead(id=a.id, name=a.name, kana=a.kana, full_name=area_list.full_name(a)) for a in found
    ]


class AreaImportRequest(BaseModel):
    csv: str = Field(
        max_length=20_000_000,
        description="町字マスター (address base registry) CSV or a simple id,name,kana CSV",
    )


class RefusalRead(BaseModel):
    line: int
    reason: str


class AreaImportResult(BaseModel):
    source: str = Field(description="abr or simple")
    added: int
    refused: int
    refusals: list[RefusalRead] = Field(description="the first 50 refused lines with reasons")
    prefecture: str
    city: str


@router.post("/import", response_model=AreaImportResult)
def import_areas(
    body: AreaImportRequest,
    principal: Annotated[Principal, Depends(require(Permission.ADDRESS_MANAGE))],
    session: SessionDep,
) -> AreaImportResult:
    """Replace the tenant's 町字 list; how many were added and which lines were refused."""
    tenant = session.get(Tenant, principal.tenant_id)
    assert tenant is not None
    imported = importing.parse_csv(body.csv, tenant.code, tenant.name)
    importing.store(session, tenant.id, imported, principal.actor)
    return AreaImportResult(
        source=imported.source,
        added=imported.added,
        refused=len(imported.refused),
        refusals=[
            RefusalRead(line=r.line, reason=r.reason)
            for r in imported.refused[: importing.MAX_REFUSALS_LISTED]
        ],
        prefecture=imported.areas.prefecture,
        city=imported.areas.city,
    )
