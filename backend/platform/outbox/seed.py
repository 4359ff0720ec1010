"""Demo hand-off destinations: a pull feed and a CP932 CSV drop folder (idempotent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.platform.outbox.models import Destination

DEMO_DESTINATIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("backoffice-pull", "pull", {}),
    (
        "rpa-csv",
        "csv",
        {"folder": "dropbox/rpa", "encoding": "cp932", "delimiter": "comma",
         "substitutions": {"𠮷": "吉"}, "replacement": "〓"},
    ),
)  # fmt: skip


def ensure_demo_destinations(session: Session, tenant_id: str) -> None:
    for name, kind, config in DEMO_DESTINATIONS:
        exists = session.scalar(
            select(Destination.id)
            .where(Destination.tenant_id == tenant_id, Destination.name == name)
            .execution_options(unscoped=True)
        )
        if exists is None:
            session.add(Destination(tenant_id=tenant_id, name=name, kind=kind, config=config))
