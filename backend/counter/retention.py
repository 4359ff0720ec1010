"""Retention: forget a visit's personal data once it has been handed off, and the 個人番号 first.

A visit is *handed off* when it is closed and every outbox message for it is delivered; its
hand-off time is the latest of ``closed_at`` and the deliveries (a visit closed with no outbox
message is handed off at ``closed_at``). Then:

- at once: its 個人番号 rows are deleted;
- ``Tenant.retention_days`` (default 30) later: names, addresses, phone numbers, household
  members, document contents, signature strokes, outbox payloads and free-form facts go; the
  visit row stays with its status, times, event kind and its VisitEvents (the journey metrics),
  and ``purged_at`` is set.

Retention never waits for a receiver that may never come (a pull feed nobody consumes, a
webhook that is down): ``retention_days`` after the latest of ``closed_at`` and the deliveries
that did happen, the visit is purged whatever its messages' state. Its messages not delivered
by then are *purged unread* (status ``expired``, payload gone); the plan lists them per
destination (count, oldest) for ``madoguchi purge --dry-run``, and the back office shows them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from backend.backoffice import service as backoffice
from backend.counter.handoff import TOPIC as HANDOFF_TOPIC
from backend.counter.individual_number import purge_individual_numbers
from backend.counter.models import Document, HouseholdMember, Signature, Visit
from backend.identity.security_models import IndividualNumber
from backend.identity.tenants.models import Tenant
from backend.journey import summaries
from backend.platform.audit.service import record
from backend.platform.db import session_scope, utcnow
from backend.platform.outbox.models import MessageStatus, OutboxMessage
from backend.platform.outbox.service import (
    UnreadMessage,
    UnreadSummary,
    expire_unread,
    summarize_unread,
    unread_messages,
)

log = logging.getLogger(__name__)

PURGED_FILENAME = "purged"


@dataclass(frozen=True)
class PlannedPurge:
    tenant_code: str
    visit_id: str
    handed_off_at: dt.datetime
    due_at: dt.datetime
    individual_numbers_only: bool
    tenant_id: str = ""
    unread: tuple[UnreadMessage, ...] = ()


@dataclass
class PurgePlan:
    items: list[PlannedPurge] = field(default_factory=list)

    @property
    def unread(self) -> list[UnreadSummary]:
        """Messages the purge takes before their receiver did, per tenant and destination."""
        return summarize_unread(
            [
                (item.tenant_code, message.destination, message.created_at)
                for item in self.items
                for message in item.unread
            ]
        )

    @property
    def visits(self) -> list[PlannedPurge]:
        return [item for item in self.items if not item.individual_numbers_only]

    @property
    def individual_numbers(self) -> list[PlannedPurge]:
        return [item for item in self.items if item.individual_numbers_only]


def handed_off_at(session: Session, visit: Visit) -> dt.datetime | None:
    if visit.closed_at is None:
        return None
    messages = session.execute(
        select(OutboxMessage.status, OutboxMessage.delivered_at)
        .where(OutboxMessage.key == visit.id)
        .execution_options(unscoped=True)
    ).all()
    moments = [visit.closed_at]
    for status, delivered_at in messages:
        if status != "delivered":
            return None
        moments.append(delivered_at or visit.closed_at)
    return max(moments)


def _retention_start(session: Session, visit: Visit) -> dt.datetime | None:
    """Where the retention period starts: the latest of closing and the deliveries that did
    happen; undelivered messages do not hold it back."""
    if visit.closed_at is None:
        return None
    delivered = session.scalars(
        select(OutboxMessage.delivered_at)
        .where(
            OutboxMessage.key == visit.id,
            OutboxMessage.status == MessageStatus.DELIVERED,
            OutboxMessage.delivered_at.is_not(None),
        )
        .execution_options(unscoped=True)
    ).all()
    return max([visit.closed_at, *[moment for moment in delivered if moment is not None]])


def purge_candidates(tenant: Tenant, now: dt.datetime) -> Select[Visit]:
    """The tenant's visits whose retention period may be over: closed at least
    ``retention_days`` ago and not purged (the period starts at closing or later, so no other
    visit can be due). Served by ``ix_visits_retention``: a round reads the due visits only,
    not every visit still kept."""
    cutoff = now - dt.timedelta(days=tenant.retention_days)
    return (
        select(Visit)
        .where(
            Visit.tenant_id == tenant.id,
            Visit.purged_at.is_(None),
            Visit.closed_at.is_not(None),
            Visit.closed_at <= cutoff,
        )
        .order_by(Visit.closed_at)
        .execution_options(unscoped=True)
    )


def individual_number_candidates(session: Session, tenant: Tenant) -> list[Visit]:
    """The tenant's closed, unpurged visits that still hold 個人番号 rows (deleted as soon as
    the hand-off is delivered): few, so read from ``individual_numbers`` first. In one
    statement (``visits.id IN (SELECT visit_id …)``) PostgreSQL walked every closed visit
    kept and probed the numbers for each, several times a second in the worker."""
    holders = session.scalars(
        select(IndividualNumber.visit_id)
        .where(IndividualNumber.tenant_id == tenant.id)
        .distinct()
        .execution_options(unscoped=True)
    ).all()
    if not holders:
        return []
    return list(
        session.scalars(
            select(Visit)
            .where(
                Visit.id.in_(holders),
                Visit.tenant_id == tenant.id,
                Visit.purged_at.is_(None),
                Visit.closed_at.is_not(None),
            )
            .order_by(Visit.closed_at)
            .execution_options(unscoped=True)
        )
    )


def plan(session: Session, now: dt.datetime | None = None) -> PurgePlan:
    """What a purge would do now, for every tenant (unscoped: the worker's view)."""
    now = now or utcnow()
    result = PurgePlan()
    tenants = session.scalars(select(Tenant).order_by(Tenant.code)).all()
    for tenant in tenants:
        retention = dt.timedelta(days=tenant.retention_days)
        planned: set[str] = set()
        for visit in session.scalars(purge_candidates(tenant, now)):
            start = _retention_start(session, visit)
            if start is not None and start + retention <= now:
                unread = tuple(unread_messages(session, HANDOFF_TOPIC, visit.id))
                due = start + retention
                item = PlannedPurge(tenant.code, visit.id, start, due, False, tenant.id, unread)
                result.items.append(item)
                planned.add(visit.id)
        for visit in individual_number_candidates(session, tenant):
            moment = handed_off_at(session, visit)
            if moment is not None and visit.id not in planned:
                result.items.append(
                    PlannedPurge(tenant.code, visit.id, moment, moment, True, tenant.id)
                )
    return result


def purge_visit(
    session: Session,
    visit: Visit,
    now: dt.datetime | None = None,
    unread: tuple[UnreadMessage, ...] = (),
) -> dict[str, int]:
    """Remove a visit's personal data, keep its journey; returns counts (for the audit trail)."""
    now = now or utcnow()
    counts = {"individual_numbers": purge_individual_numbers(session, visit.id)}
    counts["purged_unread"] = expire_unread(session, [message.id for message in unread])
    counts["members"] = _rowcount(
        session.execute(
            delete(HouseholdMember)
            .where(HouseholdMember.visit_id == visit.id)
            .execution_options(synchronize_session=False)
        )
    )
    counts["documents"] = _rowcount(
        session.execute(
            update(Document)
            .where(Document.visit_id == visit.id)
            .values(content=None, filename=PURGED_FILENAME)
            .execution_options(synchronize_session=False)
        )
    )
    counts["signatures"] = _rowcount(
        session.execute(
            update(Signature)
            .where(Signature.visit_id == visit.id)
            .values(strokes=None)
            .execution_options(synchronize_session=False)
        )
    )
    counts["outbox_payloads"] = _rowcount(
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == visit.id)
            .values(payload=None)
            .execution_options(synchronize_session=False)
        )
    )
    counts["backoffice_cases"] = backoffice.purge_case(session, visit.id)
    visit.previous_address = visit.new_address = visit.household_head = None
    visit.applicant_name = visit.applicant_phone = None
    visit.facts = {}
    visit.purged_at = now
    session.flush()
    summaries.refresh(session, [visit.id])  # the journey stays, and so does its summary
    record(
        session,
        tenant_id=visit.tenant_id,
        action="retention.purged",
        actor="system:retention",
        visit_id=visit.id,
        detail=counts,
    )
    return counts


def execute(session: Session, purge_plan: PurgePlan, now: dt.datetime | None = None) -> int:
    done = 0
    for item in purge_plan.items:
        visit = session.scalars(
            select(Visit).where(Visit.id == item.visit_id).execution_options(unscoped=True)
        ).one()
        if item.individual_numbers_only:
            removed = purge_individual_numbers(session, visit.id)
            record(
                session,
                tenant_id=visit.tenant_id,
                action="retention.individual_numbers_purged",
                actor="system:retention",
                visit_id=visit.id,
                detail={"individual_numbers": removed},
            )
        else:
            purge_visit(session, visit, now, item.unread)
        done += 1
    return done


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge_job() -> int:
    """Worker job: purge whatever is due, one transaction per round."""
    with session_scope(unscoped=True) as session:
        done = execute(session, plan(session))
    if done:
        log.info("retention: purged %d visit(s)", done)
    return done


JOBS = [purge_job]
