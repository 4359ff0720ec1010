"""The admin sets up offices, queues (the ticket machine's buttons) and counters.

Every change is an audit event with the fields before and after. Opening hours are HH:MM in
the tenant's local time; a queue may stop issuing earlier than its office closes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Counter, Office
from backend.platform.audit.service import record
from backend.platform.errors import Conflict, NotFound, ValidationFailed
from backend.queue.models import Queue, counter_queues

HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
PREFIX = re.compile(r"^[A-Z]{1,2}$")


@dataclass(frozen=True)
class Change:
    actor: str


def check_hours(**times: str | None) -> None:
    for name, value in times.items():
        if value is not None and not HHMM.match(value):
            raise ValidationFailed(f"{name} は HH:MM（例 08:30）で入力してください。")


def _audit(session: Session, tenant_id: str, action: str, change: Change, **detail: Any) -> None:
    record(session, tenant_id=tenant_id, action=action, actor=change.actor, detail=detail)


def _fields(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _apply(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the values that differ; returns field → [before, after] for the audit."""
    changed = {}
    for name, value in values.items():
        if getattr(row, name) != value:
            changed[name] = [getattr(row, name), value]
            setattr(row, name, value)
    return changed


# --- offices ------------------------------------------------------------------------------


def offices(session: Session) -> list[Office]:
    return list(session.scalars(select(Office).order_by(Office.code)))


def get_office(session: Session, office_id: str) -> Office:
    office = session.get(Office, office_id)
    if office is None or office.tenant_id != session.info.get("tenant_id"):
        raise NotFound("庁舎がありません。")
    return office


def create_office(
    session: Session, tenant_id: str, *, code: str, name: str, opens_at: str, closes_at: str,
    change: Change,
) -> Office:  # fmt: skip
    check_hours(opens_at=opens_at, closes_at=closes_at)
    if session.scalars(select(Office.id).where(Office.code == code)).first():
        raise Conflict(f"庁舎コード {code} はすでにあります。")
    office = Office(
        tenant_id=tenant_id, code=code, name=name, opens_at=opens_at, closes_at=closes_at
    )
    session.add(office)
    session.flush()
    _audit(session, tenant_id, "setup.office_created", change, office=code, name=name)
    return office


def update_office(session: Session, office: Office, values: dict[str, Any], change: Change) -> None:
    check_hours(opens_at=values.get("opens_at"), closes_at=values.get("closes_at"))
    changed = _apply(office, values)
    if changed:
        _audit(session, office.tenant_id, "setup.office_changed", change, office=office.code,
               changes=changed)  # fmt: skip


# --- queues (the ticket machine's buttons) ---------------------------------------------------


def queues_of(session: Session, office_id: str) -> list[Queue]:
    return list(
        session.scalars(
            select(Queue).where(Queue.office_id == office_id).order_by(Queue.sort_order)
        )
    )


def get_queue(session: Session, queue_id: str) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None or queue.tenant_id != session.info.get("tenant_id"):
        raise NotFound("番号札の種類がありません。")
    return queue


def create_queue(session: Session, office: Office, values: dict[str, Any], change: Change) -> Queue:
    prefix = values["prefix"]
    if not PREFIX.match(prefix):
        raise ValidationFailed("番号の頭文字は英大文字 1〜2 字にしてください（例 A）。")
    check_hours(issue_opens_at=values.get("issue_opens_at"),
                issue_closes_at=values.get("issue_closes_at"))  # fmt: skip
    taken = select(Queue.id).where(Queue.office_id == office.id, Queue.prefix == prefix)
    if session.scalars(taken).first():
        raise Conflict(f"頭文字 {prefix} の番号札はこの庁舎にすでにあります。")
    queue = Queue(tenant_id=office.tenant_id, office_id=office.id, **values)
    session.add(queue)
    session.flush()
    _audit(session, office.tenant_id, "setup.queue_created", change, prefix=prefix,
           name=values["name_ja"])  # fmt: skip
    return queue


def update_queue(session: Session, queue: Queue, values: dict[str, Any], change: Change) -> None:
    check_hours(issue_opens_at=values.get("issue_opens_at"),
                issue_closes_at=values.get("issue_closes_at"))  # fmt: skip
    changed = _apply(queue, values)
    if changed:
        _audit(session, queue.tenant_id, "setup.queue_changed", change, prefix=queue.prefix,
               changes=changed)  # fmt: skip


# --- counters -----------------------------------------------------------------------------


def counters_of(session: Session, office_id: str) -> list[Counter]:
    return list(
        session.scalars(
            select(Counter).where(Counter.office_id == office_id).order_by(Counter.code)
        )
    )


def queue_ids_of(session: Session, counter_id: str) -> list[str]:
    return list(
        session.scalars(
            select(counter_queues.c.queue_id).where(counter_queues.c.counter_id == counter_id)
        )
    )


def get_counter(session: Session, counter_id: str) -> Counter:
    counter = session.get(Counter, counter_id)
    if counter is None or counter.tenant_id != session.info.get("tenant_id"):
        raise NotFound("窓口がありません。")
    return counter


def _serve(session: Session, counter: Counter, queue_ids: list[str]) -> None:
    own = {q.id for q in queues_of(session, counter.office_id)}
    unknown = [q for q in queue_ids if q not in own]
    if unknown:
        raise ValidationFailed("この庁舎にない番号札が選ばれています。")
    session.execute(delete(counter_queues).where(counter_queues.c.counter_id == counter.id))
    if queue_ids:
        session.execute(
            counter_queues.insert(),
            [{"counter_id": counter.id, "queue_id": q} for q in dict.fromkeys(queue_ids)],
        )


def create_counter(
    session: Session, office: Office, values: dict[str, Any], queue_ids: list[str], change: Change
) -> Counter:
    taken = select(Counter.id).where(Counter.office_id == office.id, Counter.code == values["code"])
    if session.scalars(taken).first():
        raise Conflict(f"窓口番号 {values['code']} はこの庁舎にすでにあります。")
    counter = Counter(tenant_id=office.tenant_id, office_id=office.id, **values)
    session.add(counter)
    session.flush()
    _serve(session, counter, queue_ids)
    _audit(session, office.tenant_id, "setup.counter_created", change, counter=values["code"],
           name=values["name"], queues=queue_ids)  # fmt: skip
    return counter


def update_counter(
    session: Session, counter: Counter, values: dict[str, Any], queue_ids: list[str] | None,
    change: Change,
) -> None:  # fmt: skip
    changed: dict[str, Any] = _apply(counter, values)
    if queue_ids is not None:
        before = sorted(queue_ids_of(session, counter.id))
        _serve(session, counter, queue_ids)
        if before != sorted(queue_ids):
            changed["queues"] = [before, sorted(queue_ids)]
    if changed:
        _audit(session, counter.tenant_id, "setup.counter_changed", change,
               counter=counter.code, changes=changed)  # fmt: skip
