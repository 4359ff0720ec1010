"""``GET /api/v1/addresses/areas``: the tenant's 町字, for the new-address picker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from backend.addresses import service
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
    area_list, found = service.search(tenant.code, q)
    if area_list is None:
        return []
    return [
        AreaRead(id=a.id, name=a.name, kana=a.kana, full_name=area_list.full_name(a)) for a in found
    ]
