"""Who is calling: the staff cookie and the device token, as request dependencies.

``CurrentStaff`` / ``CurrentDevice`` serve identity's own routes (log out, who am I); every
other route asks ``backend.platform.access.require``, which reaches the same checks through
the hooks ``backend/app.py`` installs (``configure_access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.identity.auth import cache as credentials
from backend.identity.auth import service
from backend.identity.devices import service as devices
from backend.identity.devices.models import Device
from backend.identity.staff.models import Role, StaffAccount
from backend.identity.tenants import service as tenants
from backend.platform import access
from backend.platform.db import set_session_tenant
from backend.platform.deps import SessionDep
from backend.platform.errors import NotAuthenticated

SESSION_COOKIE = "madoguchi_session"
CSRF_HEADER = "x-csrf-token"
CSRF_HEADER_RAW = CSRF_HEADER.encode("latin-1")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDLE_TIMEOUT = service.IDLE_TIMEOUT


@dataclass(frozen=True)
class StaffPrincipal:
    staff: StaffAccount
    session_id: str

    @property
    def tenant_id(self) -> str:
        return self.staff.tenant_id

    @property
    def role(self) -> str:
        return self.staff.role


def current_staff(request: Request, session: SessionDep) -> StaffPrincipal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated()
    staff, row = service.resume_session(
        session,
        token,
        csrf_token=request.headers.get(CSRF_HEADER),
        safe_method=request.method in SAFE_METHODS,
    )
    set_session_tenant(session, staff.tenant_id)
    return StaffPrincipal(staff=staff, session_id=row.id)


CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]


def current_device(request: Request, session: SessionDep) -> Device:
    ref = access.authenticate_device(request, session)
    return devices.get_device(session, ref.id)


CurrentDevice = Annotated[Device, Depends(current_device)]


# --- the hooks of backend.platform.access ------------------------------------------------


def staff_ref(staff: StaffAccount, session_id: str | None = None) -> access.StaffRef:
    return access.StaffRef(
        id=staff.id,
        tenant_id=staff.tenant_id,
        role=Role(staff.role),
        username=staff.username,
        display_name=staff.display_name,
        session_id=session_id,
    )


def authenticate_staff(request: Request, session: Session) -> access.StaffRef:
    """The hook every staff request goes through: from the credential cache, else one
    statement (no account row loaded)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated()
    safe_method = request.method in SAFE_METHODS  # then the CSRF header is not read
    staff = credentials.staff_of_token(
        session,
        token,
        csrf_token=None if safe_method else access.header(request, CSRF_HEADER_RAW),
        safe_method=safe_method,
    )
    set_session_tenant(session, staff.tenant_id)
    return staff


def configure_access() -> None:
    """Install identity as the authority of ``backend.platform.access`` (at application start)."""
    credentials.configure()
    access.configure(
        authenticate_staff=authenticate_staff,
        authenticate_device=credentials.device_of_token,
        tenant_code=tenants.tenant_code,
    )
