"""``/api/v1/tenants``: the operator creates and lists municipalities (as ``madoguchi tenant``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from backend.identity.staff.models import Role
from backend.identity.staff.service import StaffChange, add_staff
from backend.identity.tenants import service
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/tenants", tags=["tenants"])

Operator = Annotated[Principal, Depends(require(Permission.TENANT_MANAGE))]


class TenantCreate(BaseModel):
    code: str = Field(min_length=6, max_length=6, description="団体コード with check digit")
    name: str = Field(min_length=1, max_length=100)
    admin_username: str = Field(min_length=1, max_length=64)
    admin_password: str = Field(min_length=1, max_length=256)


class TenantRead(BaseModel):
    id: str
    code: str
    name: str


@router.get("", response_model=list[TenantRead])
def list_tenants(session: SessionDep, operator: Operator) -> list[TenantRead]:
    session.info["unscoped"] = True  # the operator sees every municipality, not one
    return [TenantRead(id=t.id, code=t.code, name=t.name) for t in service.list_tenants(session)]


@router.post("", response_model=TenantRead, status_code=201)
def create_tenant(body: TenantCreate, session: SessionDep, operator: Operator) -> TenantRead:
    tenant = service.create_tenant(session, code=body.code, name=body.name, actor=operator.actor)
    add_staff(
        session,
        tenant.id,
        username=body.admin_username,
        role=Role.TENANT_ADMIN,
        password=body.admin_password,
        display_name=f"{tenant.name} 管理者",
        change=StaffChange(actor=operator.actor),
    )
    return TenantRead(id=tenant.id, code=tenant.code, name=tenant.name)
