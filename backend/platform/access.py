"""Who may do what: the permission matrix, enforced in one place for every endpoint.

Every route that touches tenant data declares ``principal: Annotated[Principal,
Depends(require(Permission.X))]``. ``require`` authenticates (staff cookie or device token),
scopes the session to the principal's tenant, and refuses what the role or device kind may not
do. The same matrix is printed in docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Request

from backend.identity.devices.models import Device, DeviceKind
from backend.identity.staff.models import Role, StaffAccount
from backend.platform.deps import SessionDep, current_device, current_staff
from backend.platform.errors import Forbidden, NotAuthenticated


class Permission(StrEnum):
    VISIT_READ = "visit.read"
    VISIT_WRITE = "visit.write"
    GUIDANCE_USE = "guidance.use"
    FORMS_RENDER = "forms.render"
    PRINT = "print"
    QUEUE_CALL = "queue.call"
    QUEUE_MANAGE = "queue.manage"
    TICKET_ISSUE = "ticket.issue"
    BOARD_READ = "board.read"
    TABLET_SESSION = "tablet.session"
    AGENT_CONNECT = "agent.connect"
    HANDOFF_READ = "handoff.read"
    HANDOFF_ACK = "handoff.ack"
    OUTBOX_REPLAY = "outbox.replay"
    INTEGRATION_MANAGE = "integration.manage"
    CORE_LOOKUP = "core.lookup"
    CATALOG_MANAGE = "catalog.manage"
    DEVICE_MANAGE = "device.manage"
    STAFF_MANAGE = "staff.manage"
    AUDIT_READ = "audit.read"
    TENANT_MANAGE = "tenant.manage"


P = Permission
_CLERK = {
    P.VISIT_READ, P.VISIT_WRITE, P.GUIDANCE_USE, P.FORMS_RENDER, P.PRINT, P.QUEUE_CALL,
    P.BOARD_READ, P.CORE_LOOKUP,
}  # fmt: skip
_BACK_OFFICE = {P.VISIT_READ, P.HANDOFF_READ, P.HANDOFF_ACK, P.BOARD_READ}
_ADMIN = (
    _CLERK
    | _BACK_OFFICE
    | {P.QUEUE_MANAGE, P.OUTBOX_REPLAY, P.INTEGRATION_MANAGE, P.CATALOG_MANAGE, P.DEVICE_MANAGE,
       P.STAFF_MANAGE, P.AUDIT_READ}
)  # fmt: skip

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(_CLERK),
    Role.BACK_OFFICE: frozenset(_BACK_OFFICE),
    Role.TENANT_ADMIN: frozenset(_ADMIN),
    # The system operator runs the service; personal data is not theirs to see.
    Role.OPERATOR: frozenset({P.TENANT_MANAGE, P.AUDIT_READ, P.BOARD_READ}),
}

DEVICE_PERMISSIONS: dict[DeviceKind, frozenset[Permission]] = {
    DeviceKind.DISPLAY: frozenset({P.BOARD_READ}),
    DeviceKind.TICKET_MACHINE: frozenset({P.TICKET_ISSUE}),
    DeviceKind.TABLET: frozenset({P.TABLET_SESSION}),
    DeviceKind.AGENT: frozenset({P.AGENT_CONNECT}),
    DeviceKind.BACK_OFFICE_SYSTEM: frozenset({P.HANDOFF_READ, P.HANDOFF_ACK}),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a staff member or a device, always of one tenant."""

    tenant_id: str
    staff: StaffAccount | None = None
    device: Device | None = None

    @property
    def actor(self) -> str:
        if self.staff is not None:
            return f"staff:{self.staff.id}"
        assert self.device is not None
        return f"device:{self.device.id}"

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.staff is not None:
            return ROLE_PERMISSIONS.get(Role(self.staff.role), frozenset())
        assert self.device is not None
        return DEVICE_PERMISSIONS.get(DeviceKind(self.device.kind), frozenset())


def _authenticate(request: Request, session: SessionDep) -> Principal:
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        device = current_device(request, session)
        return Principal(tenant_id=device.tenant_id, device=device)
    staff = current_staff(request, session)
    return Principal(tenant_id=staff.tenant_id, staff=staff.staff)


def require(permission: Permission) -> Callable[[Request, SessionDep], Principal]:
    """A dependency: the caller, authenticated, scoped to its tenant, allowed ``permission``."""

    def dependency(request: Request, session: SessionDep) -> Principal:
        principal = _authenticate(request, session)
        if permission not in principal.permissions:
            raise Forbidden()
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{permission.value.replace('.', '_')}"
    # Read by the route walk test and the docs: which permission guards a route.
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthenticated()
    assert isinstance(principal, Principal)
    return principal
