"""``/api/v1/staff``: a municipality's admin manages its staff accounts (as ``madoguchi staff``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from backend.identity.staff import service
from backend.identity.staff.models import Role, StaffAccount
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.platform.errors import NotFound, ValidationFailed

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])

Admin = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]


class StaffRead(BaseModel):
    id: str
    username: str
    display_name: str
    role: Role
    active: bool


class StaffCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    display_name: str | None = Field(default=None, max_length=100)
    role: Role
    password: str = Field(min_length=1, max_length=256)


class PasswordReset(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class RoleRead(BaseModel):
    role: Role
    description: str


class SessionsEnded(BaseModel):
    staff: StaffRead
    sessions_ended: int


def _read(staff: StaffAccount) -> StaffRead:
    return StaffRead(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=Role(staff.role),
        active=staff.active,
    )


def _account(session: SessionDep, admin: Principal, staff_id: str) -> StaffAccount:
    staff = session.get(StaffAccount, staff_id)
    if staff is None or staff.tenant_id != admin.tenant_id:
        raise NotFound("職員アカウントがありません (no such account).")
    return staff


@router.get("/roles", response_model=list[RoleRead])
def roles(admin: Admin) -> list[RoleRead]:
    """Each role in words an admin reads."""
    return [
        RoleRead(role=role, description=text) for role, text in service.ROLE_DESCRIPTIONS.items()
    ]


@router.get("", response_model=list[StaffRead])
def list_staff(session: SessionDep, admin: Admin) -> list[StaffRead]:
    return [_read(staff) for staff in service.list_staff(session, admin.tenant_id)]


@router.post("", response_model=StaffRead, status_code=201)
def add_staff(body: StaffCreate, session: SessionDep, admin: Admin) -> StaffRead:
    if body.role is Role.OPERATOR:
        raise ValidationFailed("運用事業者の役割は自治体の管理画面からは付与できません。")
    staff = service.add_staff(
        session,
        admin.tenant_id,
        username=body.username,
        role=body.role,
        password=body.password,
        display_name=body.display_name,
        change=service.StaffChange(actor=admin.actor),
    )
    return _read(staff)


@router.post("/{staff_id}/disable", response_model=SessionsEnded)
def disable_staff(staff_id: str, session: SessionDep, admin: Admin) -> SessionsEnded:
    staff = _account(session, admin, staff_id)
    if admin.staff is not None and admin.staff.id == staff.id:
        raise ValidationFailed("自分自身のアカウントは無効にできません (cannot disable yourself).")
    ended = service.disable_staff(session, staff, change=service.StaffChange(actor=admin.actor))
    return SessionsEnded(staff=_read(staff), sessions_ended=ended)


@router.post("/{staff_id}/enable", response_model=StaffRead)
def enable_staff(staff_id: str, session: SessionDep, admin: Admin) -> StaffRead:
    staff = _account(session, admin, staff_id)
    service.enable_staff(session, staff, change=service.StaffChange(actor=admin.actor))
    return _read(staff)


@router.post("/{staff_id}/reset-password", response_model=SessionsEnded)
def reset_password(
    staff_id: str, body: PasswordReset, session: SessionDep, admin: Admin
) -> SessionsEnded:
    staff = _account(session, admin, staff_id)
    ended = service.reset_password(
        session, staff, body.password, change=service.StaffChange(actor=admin.actor)
    )
    return SessionsEnded(staff=_read(staff), sessions_ended=ended)
