"""Who may do what: the permission matrix, enforced in one place for every endpoint.

Every route that touches tenant data declares ``principal: Annotated[Principal,
Depends(require(Permission.X))]``. ``require`` authenticates (staff cookie or device token),
scopes the session to the principal's tenant, and refuses what the role or device kind may not
do. The same matrix is printed in docs/security.md.

This module owns the vocabulary of access (roles, device kinds, permissions, the principal) but
not the accounts: identity checks cookies and tokens through the hooks the application installs
at start (``configure``). With no hooks installed every caller is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, TypeVar

from fastapi import Body, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import Body as BodyInfo
from fastapi.params import Param
from pydantic import BaseModel, PlainValidator, TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.platform.db import set_session_tenant
from backend.platform.deps import SessionDep, database_turn, run_unit_of_work
from backend.platform.errors import Forbidden, NotAuthenticated

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)
Endpoint = TypeVar("Endpoint", bound=Callable[..., object])


class Role(StrEnum):
    CLERK = "clerk"
    BACK_OFFICE = "back_office"
    TENANT_ADMIN = "tenant_admin"
    OPERATOR = "operator"


class DeviceKind(StrEnum):
    AGENT = "agent"
    TABLET = "tablet"
    TICKET_MACHINE = "ticket_machine"
    DISPLAY = "display"
    # A back-office system (core system, RPA) pulling hand-offs: no screen, no person.
    BACK_OFFICE_SYSTEM = "back_office_api"  # fits the 16-character kind column


class Permission(StrEnum):
    VISIT_READ = "visit.read"
    VISIT_WRITE = "visit.write"
    GUIDANCE_USE = "guidance.use"
    FORMS_RENDER = "forms.render"
    PRINT = "print"
    QUEUE_CALL = "queue.call"
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
    TENANT_MANAGE = "tenant.manage"
    ADDRESS_MANAGE = "address.manage"
    OFFICE_MANAGE = "office.manage"
    AUDIT_READ = "audit.read"
    CASE_READ = "case.read"
    CASE_WORK = "case.work"
    CASE_SEARCH_PERSONAL = "case.search_personal"
    # The 窓口利用体験調査 report (no personal data: figures) and its baseline surveys.
    JOURNEY_REPORT = "journey.report"
    # 来庁予約: the day's list and bookings by phone (clerk); slots and switches (admin).
    RESERVATION_BOOK = "reservation.book"
    RESERVATION_MANAGE = "reservation.manage"


P = Permission
_CLERK = {
    P.VISIT_READ, P.VISIT_WRITE, P.GUIDANCE_USE, P.FORMS_RENDER, P.PRINT, P.QUEUE_CALL,
    P.BOARD_READ, P.CORE_LOOKUP, P.CASE_READ, P.RESERVATION_BOOK,
}  # fmt: skip
# The back office checks what the counter prepared, the forms included.
# It works the cases (受付 → 入力 → 照合 → 完了, 差戻し) and may find one by name or birth date.
_BACK_OFFICE = {
    P.VISIT_READ, P.FORMS_RENDER, P.HANDOFF_READ, P.HANDOFF_ACK, P.BOARD_READ,
    P.CASE_READ, P.CASE_WORK, P.CASE_SEARCH_PERSONAL,
}  # fmt: skip
_ADMIN = (
    _CLERK
    | _BACK_OFFICE
    | {P.OUTBOX_REPLAY, P.INTEGRATION_MANAGE, P.CATALOG_MANAGE, P.DEVICE_MANAGE, P.STAFF_MANAGE,
       P.AUDIT_READ, P.ADDRESS_MANAGE, P.OFFICE_MANAGE, P.JOURNEY_REPORT, P.RESERVATION_MANAGE}
)  # fmt: skip

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(_CLERK),
    Role.BACK_OFFICE: frozenset(_BACK_OFFICE),
    Role.TENANT_ADMIN: frozenset(_ADMIN),
    # The system operator runs the service; personal data is not theirs to see.
    Role.OPERATOR: frozenset({P.AUDIT_READ, P.BOARD_READ, P.TENANT_MANAGE}),
}

DEVICE_PERMISSIONS: dict[DeviceKind, frozenset[Permission]] = {
    DeviceKind.DISPLAY: frozenset({P.BOARD_READ}),
    DeviceKind.TICKET_MACHINE: frozenset({P.TICKET_ISSUE}),
    DeviceKind.TABLET: frozenset({P.TABLET_SESSION}),
    DeviceKind.AGENT: frozenset({P.AGENT_CONNECT}),
    DeviceKind.BACK_OFFICE_SYSTEM: frozenset(
        {P.HANDOFF_READ, P.HANDOFF_ACK, P.CASE_READ, P.CASE_WORK}
    ),
}


@dataclass(frozen=True)
class StaffRef:
    """A signed-in staff member, as the routes see them (a copy, not the account row)."""

    id: str
    tenant_id: str
    role: Role
    username: str
    display_name: str
    session_id: str | None = None  # the login session; None outside a request


@dataclass(frozen=True)
class DeviceRef:
    """An authenticated device, as the routes see it (a copy, not the device row)."""

    id: str
    tenant_id: str
    kind: DeviceKind
    name: str
    office_id: str | None
    counter_id: str | None


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a staff member or a device, always of one tenant."""

    tenant_id: str
    staff: StaffRef | None = None
    device: DeviceRef | None = None

    @property
    def actor(self) -> str:
        if self.staff is not None:
            return f"staff:{self.staff.id}"
        assert self.device is not None
        return f"device:{self.device.id}"

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.staff is not None:
            return ROLE_PERMISSIONS.get(self.staff.role, frozenset())
        assert self.device is not None
        return DEVICE_PERMISSIONS.get(self.device.kind, frozenset())


# --- the hooks identity provides ----------------------------------------------------------

StaffAuthenticator = Callable[[Request, Session], StaffRef]
"""The staff member of the request's session cookie; raises NotAuthenticated (or Forbidden on
a failed CSRF check). Looks across tenants: the cookie decides the tenant."""
DeviceAuthenticator = Callable[[Session, str], DeviceRef | None]
"""The active device holding this bearer token (its last-seen time updated), or None."""
TenantCode = Callable[[Session, str], str | None]
"""The 団体コード of a tenant id, or None when there is no such tenant."""


@dataclass(frozen=True)
class _Hooks:
    authenticate_staff: StaffAuthenticator
    authenticate_device: DeviceAuthenticator
    tenant_code: TenantCode


_hooks: _Hooks | None = None


def configure(
    *,
    authenticate_staff: StaffAuthenticator,
    authenticate_device: DeviceAuthenticator,
    tenant_code: TenantCode,
) -> None:
    """Install identity's checks (``backend/app.py`` does, once, at start)."""
    global _hooks
    _hooks = _Hooks(authenticate_staff, authenticate_device, tenant_code)


def _installed() -> _Hooks:
    if _hooks is None:  # fail closed: nobody is authenticated by an unwired application
        raise NotAuthenticated()
    return _hooks


def authenticate_device_token(session: Session, token: str) -> DeviceRef | None:
    """The active device holding ``token``, or None (also when no identity is installed).

    For callers outside a request, such as the agent link's WebSocket handshake.
    """
    if _hooks is None:
        return None
    return _hooks.authenticate_device(session, token)


def tenant_code(session: Session, tenant_id: str) -> str | None:
    """The tenant's 団体コード (for file names and messages), None if unknown."""
    return _installed().tenant_code(session, tenant_id)


def header(request: Request, name: bytes) -> str | None:
    """A request header by its lower-case name, None without one: ``request.headers.get``
    raises and catches a KeyError for a missing header (every staff request has no
    Authorization, every GET no CSRF header) — a cost on every request."""
    for key, value in request.headers.raw:
        if key == name:
            return value.decode("latin-1")
    return None


def _device_of(authorization: str, session: Session) -> DeviceRef:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("端末の認証情報がありません。端末を登録し直してください。")
    device = _installed().authenticate_device(session, token)
    if device is None:
        raise NotAuthenticated("この端末は登録されていないか、無効にされています。")
    return device


def authenticate(request: Request, session: Session) -> Principal:
    """The caller (device token or staff cookie), with the session scoped to its tenant."""
    authorization = header(request, b"authorization") or ""
    if authorization.lower().startswith("bearer "):
        device = _device_of(authorization, session)
        principal = Principal(tenant_id=device.tenant_id, device=device)
    else:
        staff = _installed().authenticate_staff(request, session)
        principal = Principal(tenant_id=staff.tenant_id, staff=staff)
    set_session_tenant(session, principal.tenant_id)
    return principal


def authenticate_device(request: Request, session: Session) -> DeviceRef:
    """The device of the request's bearer token, with the session scoped to its tenant."""
    device = _device_of(header(request, b"authorization") or "", session)
    set_session_tenant(session, device.tenant_id)
    return device


def require(permission: Permission) -> Callable[[Request, SessionDep], Principal]:
    """A dependency: the caller, authenticated, scoped to its tenant, allowed ``permission``."""

    def dependency(request: Request, session: SessionDep) -> Principal:
        principal = authenticate(request, session)
        if permission not in principal.permissions:
            raise Forbidden()
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{permission.value.replace('.', '_')}"
    # Read by the route walk test and the docs: which permission guards a route.
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


# --- hot routes: one thread hand-off per request ------------------------------------------


def hot_route(permission: Permission) -> Callable[[Endpoint], Endpoint]:
    """Declare the permission of an ``async`` route that calls ``run_authorized``: the one
    ``run_authorized`` enforces and the one the route walk and the access matrix read (as
    ``require``'s is). Stated once, so the matrix cannot document one and the route enforce
    another."""

    def declare(endpoint: Endpoint) -> Endpoint:
        endpoint.permission = permission  # type: ignore[attr-defined]
        return endpoint

    return declare


async def run_authorized(request: Request, work: Callable[[Session, Principal], T]) -> T:
    """Authenticate, check the route's ``hot_route`` permission, run ``work`` and commit, in
    ONE worker thread.

    For the routes screens poll: ``Depends(require(...))``, ``SessionDep`` and a sync route
    cost four or five hand-offs between the event loop and the thread pool (open the session,
    check the caller, the route, validate the response, commit), each a wake-up of both.
    """
    return await run_authorized_then(request, work, _as_is)


def _as_is(result: T) -> T:
    return result


async def run_authorized_then(
    request: Request, work: Callable[[Session, Principal], T], then: Callable[[T], R]
) -> R:
    """``run_authorized``, then ``then(result)`` in the same worker thread once the unit of work
    has committed and given its connection back: for a side effect that must follow the
    commit (printing a ticket). In the same thread because a second hand-off per request cost
    ≈ 20 % more server CPU a visit under load (bench/load.py, 8 counters); the request keeps
    its turn at the database meanwhile (not a connection, not a lock)."""
    permission = _declared_permission(request)
    async with contextlib.asynccontextmanager(database_turn)():
        return await run_in_threadpool(_authorized_then, request, permission, work, then)


def _authorized_then(
    request: Request,
    permission: Permission,
    work: Callable[[Session, Principal], T],
    then: Callable[[T], R],
) -> R:
    return then(_authorized_unit(request, permission, work))


def _declared_permission(request: Request) -> Permission:
    """The permission ``hot_route`` declared on the endpoint of the route that matched
    (Starlette's ``scope["endpoint"]``, the decorated function itself, in an included router
    too). A route without one is a programming error: refused, never run unchecked."""
    endpoint = request.scope.get("endpoint")
    permission = getattr(endpoint, "permission", None)
    if not isinstance(permission, Permission):
        raise RuntimeError(
            f"{_name_of(endpoint)} calls run_authorized without declaring its permission: "
            "decorate it with @hot_route(Permission.…)"
        )
    return permission


def _name_of(endpoint: object) -> str:
    qualname = getattr(endpoint, "__qualname__", None)
    return f"{getattr(endpoint, '__module__', '?')}.{qualname}" if qualname else repr(endpoint)


def _authorized_unit(
    request: Request, permission: Permission, work: Callable[[Session, Principal], T]
) -> T:
    def authorized(session: Session) -> T:
        return work(session, require(permission)(request, session))

    return run_unit_of_work(request, authorized)


# --- a hot route's inputs, checked after its caller ------------------------------------------
# A ``require`` dependency runs before FastAPI validates the body or the query: an anonymous
# caller gets 401, a caller without the permission 403, whatever it sent. A hot route's
# parameters are validated before it runs, so it declares those that could be refused
# ``body_checked_later`` / ``query_checked_later``: taken as sent (the JSON parsed as for any
# body), documented as their shape (the OpenAPI document is unchanged), and validated by
# ``checked`` / ``checked_query`` inside ``run_authorized``'s work: the same order, the same 422.


class NotSent(Enum):
    """No body sent (an Enum member: FastAPI deep-copies a parameter's default)."""

    BODY = "not sent"


NOT_SENT = NotSent.BODY


def _as_sent(value: object) -> object:
    return value


def body_checked_later(shape: type[BaseModel]) -> BodyInfo:
    """``body: Annotated[object, body_checked_later(Model)] = NOT_SENT``, then
    ``checked(Model, body)`` in the work (``openapi`` declares the body required)."""
    return _checked_later(Body(), shape)


def query_checked_later(shape: object) -> Param:
    """``wait: Annotated[object, query_checked_later(Shape)] = 0``, then
    ``checked_query(TypeAdapter(Shape), wait, "wait")`` in the work."""
    return _checked_later(Query(), shape)


ParamInfo = TypeVar("ParamInfo", bound=Param | BodyInfo)


def _checked_later(info: ParamInfo, shape: object) -> ParamInfo:
    # Body()/Query() take no validator; pydantic applies a FieldInfo's metadata as it applies
    # an Annotated's (PlainValidator: this function instead of the shape's validation).
    info.metadata.append(PlainValidator(_as_sent, json_schema_input_type=shape))
    return info


def is_checked_later(info: object) -> bool:
    """Whether a parameter's FieldInfo is ``body_checked_later``'s or ``query_checked_later``'s."""
    metadata = getattr(info, "metadata", ())
    return any(isinstance(m, PlainValidator) and m.func is _as_sent for m in metadata)


def checked(model: type[M], sent: object) -> M:
    """The body as FastAPI would have validated it (its errors, under ``body``)."""
    if sent is NOT_SENT:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    try:
        return model.model_validate(sent, from_attributes=True)
    except ValidationError as exc:
        raise _refused(exc, ("body",)) from None


def checked_query(shape: TypeAdapter[T], sent: object, name: str) -> T:
    """A query parameter as FastAPI would have validated it (its errors, under ``query``)."""
    try:
        return shape.validate_python(sent, from_attributes=True)
    except ValidationError as exc:
        raise _refused(exc, ("query", name)) from None


def _refused(exc: ValidationError, where: tuple[str, ...]) -> RequestValidationError:
    errors: list[Any] = [
        {**error, "loc": (*where, *error["loc"])} for error in exc.errors(include_url=False)
    ]
    return RequestValidationError(errors)


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthenticated()
    assert isinstance(principal, Principal)
    return principal
