"""The devices the agent link needs (``backend.platform.agentlink.hooks.DeviceDirectory``).

Wired by ``backend.app`` at start: the link itself knows no device table.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.devices.models import Device, DeviceKind
from backend.identity.devices.service import device_by_token
from backend.platform.access import DEVICE_PERMISSIONS, Permission
from backend.platform.agentlink.hooks import AgentDevice
from backend.platform.db import utcnow


def _agent(device: Device) -> AgentDevice:
    return AgentDevice(
        id=device.id,
        tenant_id=device.tenant_id,
        counter_id=device.counter_id,
        name=device.name,
        last_seen_at=device.last_seen_at,
    )


class AgentDirectory:
    def authenticate(self, session: Session, token: str) -> AgentDevice | None:
        device = device_by_token(session, token)
        if device is None or Permission.AGENT_CONNECT not in DEVICE_PERMISSIONS.get(
            DeviceKind(device.kind), frozenset()
        ):
            return None
        return _agent(device)

    def for_counter(self, session: Session, counter_id: str) -> AgentDevice | None:
        device = session.scalars(
            select(Device)
            .where(
                Device.kind == DeviceKind.AGENT.value,
                Device.counter_id == counter_id,
                Device.revoked_at.is_(None),
            )
            .order_by(Device.created_at)
            .limit(1)
        ).one_or_none()
        return None if device is None else _agent(device)

    def get(self, session: Session, device_id: str) -> AgentDevice | None:
        device = session.get(Device, device_id)
        return None if device is None else _agent(device)

    def touch(self, session: Session, device_id: str) -> None:
        device = session.scalars(select(Device).where(Device.id == device_id)).one_or_none()
        if device is not None:
            device.last_seen_at = utcnow()


DIRECTORY = AgentDirectory()
