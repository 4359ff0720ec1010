"""Device pairing: an admin creates a device and gets a one-time code; the device trades the
code for its long-lived token. Codes and tokens are stored only as hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from backend.identity.auth.tokens import hash_token, new_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter, Office
from backend.platform.audit.service import record
from backend.platform.db import utcnow
from backend.platform.errors import BadRequest, NotFound, ValidationFailed
from backend.platform.settings import get_settings

PAIRING_TTL = dt.timedelta(minutes=10)
# No 0/O, 1/I/L: read off a screen and typed on a ticket machine's touch keyboard.
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_CODE_LENGTH = 8
TOKEN_PREFIX = "mdt_"  # noqa: S105 - a prefix, not a secret


class PairingFailed(BadRequest):
    status_code = 400
    code = "pairing_failed"
    default_message = (
        "登録コードが違うか、有効期限が切れています。管理画面で新しいコードを発行してください。"
    )


def normalise_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


def hash_pairing_code(code: str) -> str:
    # Keyed: eight characters are too few to survive an offline guess against a plain hash.
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(
        key, normalise_code(code).encode("ascii", "replace"), hashlib.sha256
    ).hexdigest()


def new_pairing_code() -> str:
    raw = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


DEVICE_SEEN_STEP = dt.timedelta(seconds=2)
"""A device's ``last_seen_at`` is written at most this often: the tablet's every-second poll
then writes every other time, well inside its 10-second presence window."""


def device_by_token(session: Session, token: str) -> Device | None:
    """The active device holding ``token`` (its last-seen time updated), or None.

    The one token look-up: request authentication and the agent link's handshake both use it.
    Unscoped on purpose: the token alone says which tenant's device this is.
    """
    device = session.scalars(
        select(Device)
        .where(Device.token_hash == hash_token(token), Device.revoked_at.is_(None))
        .execution_options(unscoped=True)
    ).one_or_none()
    if device is not None:
        now = utcnow()
        seen = device.last_seen_at
        if seen is None or now - seen >= DEVICE_SEEN_STEP:
            device.last_seen_at = now
    return device


def touch_live(session: Session, device_id: str, token_hash: str, now: dt.datetime) -> bool:
    """Write a known device's ``last_seen_at`` (its step is due) in one statement, which also
    checks the token is still live: True when this wrote it; False when the device was
    revoked or re-paired, or another process wrote the time within the step (then read it).

    The credential cache's check of a device it holds, once every ``DEVICE_SEEN_STEP``: a
    tablet's every other request. A Core statement built once, on the unit's connection: the
    ORM's bulk UPDATE built, keyed and pre-processed it anew each time (3 % of the server's
    GIL time at 64 counters, py-spy), for a row it never loads.
    """
    result = session.connection().execute(
        _TOUCH_LIVE,
        {
            "device_id": device_id,
            "held_token_hash": token_hash,
            "due_before": now - DEVICE_SEEN_STEP,
            "seen_at": now,
        },
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


_devices = Device.__table__
assert isinstance(_devices, Table)
_TOUCH_LIVE = (
    update(_devices)
    .where(
        _devices.c.id == bindparam("device_id"),
        _devices.c.token_hash == bindparam("held_token_hash"),
        _devices.c.revoked_at.is_(None),
        or_(_devices.c.last_seen_at.is_(None), _devices.c.last_seen_at <= bindparam("due_before")),
    )
    .values(last_seen_at=bindparam("seen_at"))
)


def list_devices(session: Session) -> list[Device]:
    """The tenant's devices, oldest first (the session is scoped to the caller's tenant)."""
    return list(session.scalars(select(Device).order_by(Device.created_at)))


def get_device(session: Session, device_id: str) -> Device:
    device = session.scalars(select(Device).where(Device.id == device_id)).one_or_none()
    if device is None:
        raise NotFound("端末が見つかりません。", code="device_not_found")
    return device


COUNTER_KINDS = frozenset({DeviceKind.AGENT, DeviceKind.TABLET})
OFFICE_KINDS = frozenset({DeviceKind.TICKET_MACHINE, DeviceKind.DISPLAY})


class PlacementNeeded(ValidationFailed):
    code = "placement_needed"
    default_message = "この端末を置く場所（窓口または庁舎）を選んでください。"


def _place_by_kind(
    session: Session, kind: DeviceKind, office_id: str | None, counter_id: str | None
) -> str | None:
    """A card reader or tablet belongs to one counter, a ticket machine or display to an
    office: without one they pair but serve nothing (a tablet shows no visit). An office is
    taken by default when the municipality has only one."""
    if kind in COUNTER_KINDS and counter_id is None:
        raise PlacementNeeded(
            "カード読取端末と確認用タブレットは、置く窓口を選んでください。",
        )
    if kind in OFFICE_KINDS and office_id is None and counter_id is None:
        offices = session.scalars(select(Office.id).limit(2)).all()
        if len(offices) != 1:
            raise PlacementNeeded("発券機と呼出表示は、置く庁舎を選んでください。")
        office_id = offices[0]
    return office_id


def _check_placement(session: Session, office_id: str | None, counter_id: str | None) -> str | None:
    """Office and counter must be the caller's (the scoped session returns nothing else)."""
    if office_id is not None and session.get(Office, office_id) is None:
        raise NotFound("庁舎が見つかりません。", code="office_not_found")
    if counter_id is not None:
        counter = session.scalars(select(Counter).where(Counter.id == counter_id)).one_or_none()
        if counter is None or (office_id is not None and counter.office_id != office_id):
            raise NotFound("窓口が見つかりません。", code="counter_not_found")
        office_id = counter.office_id
    return office_id


def issue_pairing_code(session: Session, device: Device, actor: str) -> str:
    code = new_pairing_code()
    device.pairing_code_hash = hash_pairing_code(code)
    device.pairing_expires_at = utcnow() + PAIRING_TTL
    device.token_hash = None  # re-pairing ends the old token
    session.flush()
    record(
        session,
        tenant_id=device.tenant_id,
        action="device.pairing_code_issued",
        actor=actor,
        device=device.id,
    )
    return code


def reissue_pairing_code(session: Session, device_id: str, actor: str) -> tuple[Device, str]:
    """A new one-time code for a device that is not revoked (its old token ends)."""
    device = get_device(session, device_id)
    if device.revoked_at is not None:
        raise NotFound("無効にされた端末です。新しく登録してください。", code="device_revoked")
    return device, issue_pairing_code(session, device, actor)


def create_device(
    session: Session,
    *,
    tenant_id: str,
    kind: DeviceKind,
    name: str,
    office_id: str | None,
    counter_id: str | None,
    actor: str,
) -> tuple[Device, str]:
    office_id = _check_placement(
        session, _place_by_kind(session, kind, office_id, counter_id), counter_id
    )
    device = Device(
        tenant_id=tenant_id, kind=kind.value, name=name, office_id=office_id, counter_id=counter_id
    )
    session.add(device)
    session.flush()
    record(
        session,
        tenant_id=tenant_id,
        action="device.created",
        actor=actor,
        device=device.id,
        detail={"kind": kind.value, "office_id": office_id, "counter_id": counter_id},
    )
    return device, issue_pairing_code(session, device, actor)


def pair(session: Session, code: str) -> tuple[Device, str]:
    """Trade a one-time code for the device's token (the code is spent either way it matched)."""
    # Unscoped on purpose: the code alone says which tenant's device this is.
    device = session.scalars(
        select(Device)
        .where(Device.pairing_code_hash == hash_pairing_code(code), Device.revoked_at.is_(None))
        .execution_options(unscoped=True)
    ).one_or_none()
    if device is None:
        raise PairingFailed()
    expired = device.pairing_expires_at is None or device.pairing_expires_at <= utcnow()
    device.pairing_code_hash = None
    device.pairing_expires_at = None
    if expired:
        session.flush()
        raise PairingFailed()
    token = new_token(TOKEN_PREFIX)
    device.token_hash = hash_token(token)
    device.last_seen_at = utcnow()
    session.flush()
    record(
        session,
        tenant_id=device.tenant_id,
        action="device.paired",
        actor=f"device:{device.id}",
        device=device.id,
    )
    return device, token


def revoke(session: Session, device_id: str, actor: str) -> Device:
    device = get_device(session, device_id)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.token_hash = None
        device.pairing_code_hash = None
        device.pairing_expires_at = None
        session.flush()
        record(
            session, tenant_id=device.tenant_id, action="device.revoked", actor=actor,
            device=device.id,
        )  # fmt: skip
    return device
