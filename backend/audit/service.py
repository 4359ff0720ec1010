"""Append an audit event to the tenant's hash chain.

hash = SHA-256(prev_hash ‖ canonical JSON of the event's fields); the first event of a tenant
chains from 64 zeros. Callers record views, prints, exports, hand-offs, logins and changes of
configuration; details never carry personal data (ids only).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent
from backend.db import utcnow

GENESIS = "0" * 64


def event_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def chained_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "tenant_id": event.tenant_id,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "device": event.device,
        "action": event.action,
        "visit_id": event.visit_id,
        "detail": event.detail,
    }


def record(
    session: Session,
    *,
    tenant_id: str,
    action: str,
    actor: str | None = None,
    device: str | None = None,
    visit_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.tenant_id == tenant_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
        .execution_options(unscoped=True)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    now = utcnow()
    event = AuditEvent(
        tenant_id=tenant_id,
        seq=seq,
        # Milliseconds only, so the chained ISO text is the same on SQLite and PostgreSQL.
        at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        actor=actor,
        device=device,
        action=action,
        visit_id=visit_id,
        detail=detail or {},
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = event_digest(prev_hash, chained_fields(event))
    session.add(event)
    session.flush()
    return event


def count(session: Session, tenant_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.tenant_id == tenant_id)
            .execution_options(unscoped=True)
        )
        or 0
    )
