"""``/api/v1/devices``: tenant admins create, list and revoke devices; devices pair and ask
who they are."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from backend.identity.auth.deps import CurrentDevice
from backend.identity.devices import service
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.devices.pairing_link import pairing_qr_data_url, pairing_url
from backend.identity.throttle import LoginThrottled, client_address, pairing_throttle
from backend.platform.access import DEVICE_PERMISSIONS, Permission, Principal, require
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

Admin = Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))]


class DeviceCreate(BaseModel):
    kind: DeviceKind
    name: str = Field(min_length=1, max_length=100)
    office_id: str | None = Field(default=None, max_length=32)
    counter_id: str | None = Field(default=None, max_length=32)


class DeviceRead(BaseModel):
    id: str
    kind: str
    name: str
    office_id: str | None
    counter_id: str | None
    paired: bool
    pairing_expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    created_at: dt.datetime


class PairingCode(BaseModel):
    device: DeviceRead
    pairing_code: str = Field(description="shown once; type it on the device within 10 minutes")
    pairing_expires_at: dt.datetime
    pairing_url: str = Field(description="the device opens it (or scans the QR) to pair")
    pairing_qr: str = Field(description="the pairing URL as an SVG QR code (data: URL)")


def _pairing(device: Device, code: str) -> PairingCode:
    assert device.pairing_expires_at is not None
    return PairingCode(
        device=_read(device),
        pairing_code=code,
        pairing_expires_at=device.pairing_expires_at,
        pairing_url=pairing_url(code),
        pairing_qr=pairing_qr_data_url(code),
    )


class PairRequest(BaseModel):
    code: str = Field(min_length=4, max_length=16)


class PairResponse(BaseModel):
    device: DeviceRead
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown once")
    tenant_id: str
    permissions: list[str]


class DeviceSelf(BaseModel):
    device: DeviceRead
    tenant_id: str
    permissions: list[str]


def _read(device: Device) -> DeviceRead:
    return DeviceRead(
        id=device.id,
        kind=device.kind,
        name=device.name,
        office_id=device.office_id,
        counter_id=device.counter_id,
        paired=device.token_hash is not None,
        pairing_expires_at=device.pairing_expires_at,
        revoked_at=device.revoked_at,
        last_seen_at=device.last_seen_at,
        created_at=device.created_at,
    )


def _permissions(device: Device) -> list[str]:
    return sorted(p.value for p in DEVICE_PERMISSIONS.get(DeviceKind(device.kind), frozenset()))


@router.get("", response_model=list[DeviceRead])
def list_devices(principal: Admin, session: SessionDep) -> list[DeviceRead]:
    return [_read(device) for device in service.list_devices(session)]


@router.post("", response_model=PairingCode, status_code=201)
def create_device(body: DeviceCreate, principal: Admin, session: SessionDep) -> PairingCode:
    device, code = service.create_device(
        session,
        tenant_id=principal.tenant_id,
        kind=body.kind,
        name=body.name,
        office_id=body.office_id,
        counter_id=body.counter_id,
        actor=principal.actor,
    )
    return _pairing(device, code)


@router.get("/me", response_model=DeviceSelf)
def device_self(device: CurrentDevice) -> DeviceSelf:
    return DeviceSelf(
        device=_read(device), tenant_id=device.tenant_id, permissions=_permissions(device)
    )


@router.post(
    "/pair",
    response_model=PairResponse,
    responses={400: {"description": "wrong or expired code"}, 429: {"description": "throttled"}},
)
def pair_device(
    body: PairRequest, request: Request, session: SessionDep
) -> PairResponse | JSONResponse:
    address = client_address(request)
    if pairing_throttle.blocked(session, address):
        error = LoginThrottled("登録の失敗が続いています。しばらく待ってからお試しください。")
        return JSONResponse(status_code=error.status_code, content=error.to_body())
    try:
        device, token = service.pair(session, body.code)
    except service.PairingFailed as error:
        pairing_throttle.fail(session, address)
        # Not raised: the spent (expired) code must be committed.
        return JSONResponse(status_code=error.status_code, content=error.to_body())
    return PairResponse(
        device=_read(device),
        token=token,
        tenant_id=device.tenant_id,
        permissions=_permissions(device),
    )


@router.get("/{device_id}", response_model=DeviceRead)
def get_device(device_id: str, principal: Admin, session: SessionDep) -> DeviceRead:
    return _read(service.get_device(session, device_id))


@router.post("/{device_id}/pairing-code", response_model=PairingCode)
def new_pairing_code(device_id: str, principal: Admin, session: SessionDep) -> PairingCode:
    device, code = service.reissue_pairing_code(session, device_id, principal.actor)
    return _pairing(device, code)


@router.post("/{device_id}/revoke", response_model=DeviceRead)
def revoke_device(device_id: str, principal: Admin, session: SessionDep) -> DeviceRead:
    return _read(service.revoke(session, device_id, principal.actor))
