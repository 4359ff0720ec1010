"""The demo municipality with pre-entry and reservations on, and two weeks of 転入 slots."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant
from backend.queue.models import Queue
from backend.residents.models import ResidentServiceSettings
from backend.residents.reservations import create_slots
from backend.residents.schemas import SlotsCreate


def ensure_demo(session: Session, tenant: Tenant, queue: Queue) -> None:
    found = session.scalars(
        select(ResidentServiceSettings).where(ResidentServiceSettings.tenant_id == tenant.id)
    ).one_or_none()
    if found is not None:
        return
    session.add(
        ResidentServiceSettings(
            tenant_id=tenant.id,
            preentry_enabled=True,
            reservations_enabled=True,
            preentry_retention_days=7,
            no_show_grace_minutes=15,
            reserved_first=True,
        )
    )
    today = dt.date.today()
    create_slots(
        session,
        tenant,
        SlotsCreate(
            queue_id=queue.id,
            purpose="moving-in",
            label="転入（予約）",
            first_day=today,
            last_day=today + dt.timedelta(days=14),
            times=["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"],
            capacity=2,
        ),
    )
