"""Tickets and calls: issue, call next, recall, serve, finish, no-show, transfer.

Services only flush(); the request (or ``session_scope``) commits. Live screens hear about a
change through ``backend.platform.live.publish`` once that commit happens.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased

from backend.identity.tenants.models import Counter, Office, Tenant
from backend.platform import live as events
from backend.platform.db import utcnow
from backend.queue.errors import (
    CallContention,
    CounterClosed,
    CounterNotFound,
    InvalidTransition,
    OutsideOpeningHours,
    QueueInactive,
    QueueNotFound,
    TicketNotFound,
    TicketStillCalled,
)
from backend.queue.models import (
    ACTIVE_AT_COUNTER,
    WAITING_STATUSES,
    Queue,
    Ticket,
    TicketEvent,
    TicketSequence,
    TicketStatus,
    counter_queues,
    is_waiting,
)

S = TicketStatus


def office_topic(office_id: str) -> str:
    return f"office:{office_id}"


# --- time ---------------------------------------------------------------------------------


def tenant_zone(session: Session, tenant_id: str) -> ZoneInfo:
    tenant = session.get(Tenant, tenant_id)
    return ZoneInfo(tenant.timezone if tenant else "Asia/Tokyo")


def service_day(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    """Numbers restart at local midnight."""
    return now.astimezone(zone).date()


def _minutes_of(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class IssuingHours:
    opens_at: str
    closes_at: str

    def is_open(self, local: dt.datetime) -> bool:
        minute = local.hour * 60 + local.minute
        return _minutes_of(self.opens_at) <= minute < _minutes_of(self.closes_at)


def issuing_hours(office: Office, queue: Queue) -> IssuingHours:
    return IssuingHours(
        opens_at=queue.issue_opens_at or office.opens_at,
        closes_at=queue.issue_closes_at or office.closes_at,
    )


def check_issuing_hours(hours: IssuingHours, local: dt.datetime) -> None:
    if hours.is_open(local):
        return
    before = local.hour * 60 + local.minute < _minutes_of(hours.opens_at)
    if before:
        raise OutsideOpeningHours(
            f"受付は {hours.opens_at} からです。しばらくお待ちください。",
            message_en=f"Tickets are issued from {hours.opens_at}. Please wait a moment.",
            opens_at=hours.opens_at,
            closes_at=hours.closes_at,
        )
    raise OutsideOpeningHours(
        f"本日の受付は {hours.closes_at} で終了しました。",
        message_en=f"Ticket issuing ended at {hours.closes_at} today.",
        opens_at=hours.opens_at,
        closes_at=hours.closes_at,
    )


# --- lookups ------------------------------------------------------------------------------


def get_queue(session: Session, queue_id: str) -> Queue:
    """The queue (of the session's tenant: a row not yet in the session is read scoped)."""
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise QueueNotFound()
    return queue


def get_office(session: Session, office_id: str) -> Office | None:
    return session.get(Office, office_id)


def get_counter(session: Session, counter_id: str) -> Counter:
    counter = session.scalars(select(Counter).where(Counter.id == counter_id)).one_or_none()
    if counter is None:
        raise CounterNotFound()
    return counter


def find_ticket(session: Session, ticket_id: str | None) -> Ticket | None:
    """The ticket, or None when there is none (a visit opened without a ticket)."""
    return session.get(Ticket, ticket_id) if ticket_id else None


def _transition(
    session: Session, ticket_id: str, from_statuses: tuple[str, ...], **values: object
) -> Ticket | None:
    """One statement: ``UPDATE tickets SET … WHERE id = ? AND status IN (…) RETURNING *``.

    The row lock and the status check of a ``SELECT … FOR UPDATE`` then ``UPDATE``, without the
    read: the ticket changed only if it still was in ``from_statuses`` (a concurrent change
    made first wins, and this one changes nothing). The session's copy is refreshed from the
    returned row."""
    changed = (
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_(from_statuses))
        .values(**values)
        .returning(Ticket)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return session.scalars(changed).one_or_none()


def start_serving_if_called(session: Session, ticket: Ticket, *, actor: str | None) -> None:
    """A visit opened for a called ticket: the clerk now serves it."""
    if ticket.status != TicketStatus.CALLED:
        return
    now = utcnow()
    served = _transition(
        session, ticket.id, (S.CALLED.value,), status=S.SERVING.value, serving_started_at=now
    )
    if served is None:  # no longer called: another request changed it since it was read
        raise InvalidTransition()
    record_event(session, served, "serving", at=now, actor=actor)
    _announce(session, served, "serving")


def finish_if_active(session: Session, ticket_id: str | None, *, actor: str | None) -> None:
    """A visit ended: its ticket, if still called or served at the counter, is done."""
    if not ticket_id:
        return
    now = utcnow()
    done = _transition(
        session, ticket_id, tuple(ACTIVE_AT_COUNTER), status=S.DONE.value, finished_at=now
    )
    if done is not None:
        record_event(session, done, "done", at=now, actor=actor)
        _announce(session, done, "done")


def get_ticket(session: Session, ticket_id: str, *, for_update: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update()
    ticket = session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if ticket is None:
        raise TicketNotFound()
    return ticket


def default_office(session: Session) -> Office:
    office = session.scalars(select(Office).order_by(Office.code).limit(1)).one_or_none()
    if office is None:
        raise NotFoundOffice()
    return office


class NotFoundOffice(QueueNotFound):
    code = "office_not_found"
    default_message = "庁舎が見つかりません。"


def office_queues(session: Session, office_id: str) -> list[Queue]:
    return list(
        session.scalars(
            select(Queue)
            .where(Queue.office_id == office_id, Queue.active.is_(True))
            .order_by(Queue.sort_order, Queue.prefix)
        )
    )


def counter_queue_ids(session: Session, counter_id: str) -> list[str]:
    return queue_ids_of_counters(session, [counter_id]).get(counter_id, [])


def queue_ids_of_counters(session: Session, counter_ids: list[str]) -> dict[str, list[str]]:
    """Each counter's active queues, in the queues' order, in one statement (an office's list
    reads them all at once)."""
    rows = session.execute(
        select(counter_queues.c.counter_id, counter_queues.c.queue_id)
        .join(Queue, Queue.id == counter_queues.c.queue_id)
        .where(counter_queues.c.counter_id.in_(counter_ids), Queue.active.is_(True))
        .order_by(Queue.sort_order, Queue.prefix)
    )
    found: dict[str, list[str]] = {}
    for counter_id, queue_id in rows:
        found.setdefault(counter_id, []).append(queue_id)
    return found


def current_ticket(session: Session, counter_id: str) -> Ticket | None:
    return current_tickets(session, [counter_id]).get(counter_id)


def current_tickets(session: Session, counter_ids: list[str]) -> dict[str, Ticket]:
    """Each counter's ticket in hand (the latest called of its active ones), in one statement."""
    rows = session.scalars(
        select(Ticket)
        .where(Ticket.counter_id.in_(counter_ids), Ticket.status.in_(ACTIVE_AT_COUNTER))
        .order_by(Ticket.called_at.desc())
    )
    found: dict[str, Ticket] = {}
    for ticket in rows:
        if ticket.counter_id is not None:
            found.setdefault(ticket.counter_id, ticket)  # the latest called first
    return found


# --- journey ------------------------------------------------------------------------------


def record_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    at: dt.datetime,
    actor: str | None,
    **data: object,
) -> TicketEvent:
    row = TicketEvent(
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        kind=kind,
        at=at,
        queue_id=ticket.queue_id,
        counter_id=ticket.counter_id,
        actor=actor,
        data=dict(data),
    )
    session.add(row)
    return row


def _announce(session: Session, ticket: Ticket, kind: str, counter: Counter | None = None) -> None:
    message: dict[str, object] = {
        "type": kind,
        "ticket_id": ticket.id,
        "display_number": ticket.display_number,
        "status": ticket.status,
        "queue_id": ticket.queue_id,
    }
    if counter is not None:
        message.update(counter_code=counter.code, counter_name=counter.name, floor=counter.floor)
    events.publish(session, office_topic(ticket.office_id), message)


# --- issue --------------------------------------------------------------------------------


def next_number(session: Session, queue_id: str, day: dt.date) -> int:
    """Atomically take the next number of ``queue_id`` on ``day`` (row lock on the sequence)."""
    bump = (
        update(TicketSequence)
        .where(TicketSequence.queue_id == queue_id, TicketSequence.service_day == day)
        .values(last_number=TicketSequence.last_number + 1)
        .returning(TicketSequence.last_number)
        .execution_options(synchronize_session=False)
    )
    number = session.execute(bump).scalar_one_or_none()
    if number is not None:
        return int(number)
    try:
        with session.begin_nested():
            session.execute(
                insert(TicketSequence).values(queue_id=queue_id, service_day=day, last_number=1)
            )
        return 1
    except IntegrityError:  # another machine numbered the first ticket of the day just now
        return int(session.execute(bump).scalar_one())


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:03d}"


def issue_ticket(
    session: Session,
    *,
    queue_id: str,
    priority: bool = False,
    actor: str | None = None,
    now: dt.datetime | None = None,
    lang: str = "ja",
) -> Ticket:
    """A numbered ticket; ``lang`` is the resident's language on the machine (the phone page and
    the tablet of the visit it opens start in it)."""
    now = now or utcnow()
    queue = get_queue(session, queue_id)
    if not queue.active:
        raise QueueInactive()
    office = get_office(session, queue.office_id)
    assert office is not None
    zone = tenant_zone(session, queue.tenant_id)
    check_issuing_hours(issuing_hours(office, queue), now.astimezone(zone))
    day = service_day(now, zone)
    number = next_number(session, queue.id, day)
    ticket = Ticket(
        tenant_id=queue.tenant_id,
        queue_id=queue.id,
        origin_queue_id=queue.id,
        office_id=queue.office_id,
        service_day=day,
        number=number,
        display_number=format_number(queue.prefix, number),
        status=S.WAITING.value,
        priority=priority,
        issued_at=now,
        call_count=0,
        transfer_count=0,
        follow_token=secrets.token_urlsafe(24),
        lang=lang,
    )
    session.add(ticket)
    session.flush()
    record_event(session, ticket, "issued", at=now, actor=actor, priority=priority)
    _announce(session, ticket, "issued")
    return ticket


# --- counters -----------------------------------------------------------------------------


def set_counter_open(
    session: Session, counter_id: str, is_open: bool, *, actor: str | None = None
) -> Counter:
    counter = get_counter(session, counter_id)
    counter.is_open = is_open
    session.flush()
    events.publish(
        session,
        office_topic(counter.office_id),
        {"type": "counter", "counter_code": counter.code, "is_open": is_open},
    )
    return counter


def call_next(
    session: Session, counter_id: str, *, actor: str | None = None, now: dt.datetime | None = None
) -> Ticket | None:
    """Call the oldest eligible ticket of the counter's queues, priority first; None if none.

    The claim is one statement: ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)
    AND status IN (waiting, transferred)``. On PostgreSQL two counters lock different rows; on
    SQLite writes are serialised, and the status guard makes a lost race claim nothing.
    """
    now = now or utcnow()
    counter = get_counter(session, counter_id)
    if not counter.is_open:
        raise CounterClosed()
    _clear_counter_before_call(session, counter, actor=actor, now=now)
    queue_ids = counter_queue_ids(session, counter.id)
    if not queue_ids:
        return None
    day = service_day(now, tenant_zone(session, counter.tenant_id))
    ticket = _claim_oldest(session, counter, queue_ids, day, now)
    if ticket is None:
        return None
    record_event(session, ticket, "called", at=now, actor=actor, call=1)
    _announce(session, ticket, "called", counter)
    return ticket


def _clear_counter_before_call(
    session: Session, counter: Counter, *, actor: str | None, now: dt.datetime
) -> None:
    active = current_ticket(session, counter.id)
    if active is None:
        return
    if active.status == S.CALLED.value:
        raise TicketStillCalled(ticket_id=active.id, display_number=active.display_number)
    _finish(session, active, actor=actor, now=now)  # "next" after serving ends that service


# Built once: an alias made per call rebuilt its attribute proxies on each call to the next
# ticket (≈2 ms of GIL a visit at 64 counters).
_CANDIDATE = aliased(Ticket, name="candidate")


def _claim_oldest(
    session: Session, counter: Counter, queue_ids: list[str], day: dt.date, now: dt.datetime
) -> Ticket | None:
    candidate = _CANDIDATE
    oldest = (
        select(candidate.id)
        .where(
            candidate.queue_id.in_(queue_ids),
            is_waiting(candidate.status),
            candidate.service_day == day,
            candidate.tenant_id == counter.tenant_id,
        )
        .order_by(candidate.priority.desc(), candidate.issued_at, candidate.number)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claim = (
        update(Ticket)
        .where(Ticket.id == oldest, Ticket.status.in_(WAITING_STATUSES))
        .values(
            status=S.CALLED.value,
            counter_id=counter.id,
            called_at=now,
            call_count=1,
            updated_at=now,
        )
        .returning(Ticket)  # the claimed ticket, without reading it again
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    try:
        return session.scalars(claim).one_or_none()
    except OperationalError as exc:
        if "locked" in str(exc).lower():  # SQLite: another counter's write won the race
            raise CallContention() from exc
        raise


def _ticket_at_counter(session: Session, ticket_id: str, counter_id: str | None) -> Ticket:
    ticket = get_ticket(session, ticket_id, for_update=True)
    if counter_id is not None and ticket.counter_id != counter_id:
        raise InvalidTransition("この番号札は別の窓口で対応中です。")
    return ticket


def _called_ticket_at_counter(session: Session, ticket_id: str, counter_id: str | None) -> Ticket:
    """The ticket, locked, if it is called at this counter (recall, no-show, start serving)."""
    ticket = _ticket_at_counter(session, ticket_id, counter_id)
    if ticket.status != S.CALLED.value:
        raise InvalidTransition()
    return ticket


def recall(
    session: Session,
    ticket_id: str,
    *,
    counter_id: str | None = None,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Call again; once the queue's ``max_calls`` calls went unanswered the ticket is a no-show."""
    now = now or utcnow()
    ticket = _called_ticket_at_counter(session, ticket_id, counter_id)
    queue = get_queue(session, ticket.queue_id)
    if ticket.call_count >= queue.max_calls:
        return _no_show(session, ticket, actor=actor, now=now, automatic=True)
    ticket.call_count += 1
    ticket.called_at = now
    session.flush()
    record_event(session, ticket, "recalled", at=now, actor=actor, call=ticket.call_count)
    counter = get_counter(session, ticket.counter_id) if ticket.counter_id else None
    _announce(session, ticket, "called", counter)
    return ticket


def mark_no_show(
    session: Session,
    ticket_id: str,
    *,
    counter_id: str | None = None,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    ticket = _called_ticket_at_counter(session, ticket_id, counter_id)
    return _no_show(session, ticket, actor=actor, now=now or utcnow(), automatic=False)


def _no_show(
    session: Session, ticket: Ticket, *, actor: str | None, now: dt.datetime, automatic: bool
) -> Ticket:
    ticket.status = S.NO_SHOW.value
    ticket.finished_at = now
    session.flush()
    record_event(
        session, ticket, "no_show", at=now, actor=actor, calls=ticket.call_count, auto=automatic
    )
    _announce(session, ticket, "no_show")
    return ticket


def start_serving(
    session: Session,
    ticket_id: str,
    *,
    counter_id: str | None = None,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    now = now or utcnow()
    ticket = _called_ticket_at_counter(session, ticket_id, counter_id)
    ticket.status = S.SERVING.value
    ticket.serving_started_at = now
    session.flush()
    record_event(session, ticket, "serving", at=now, actor=actor)
    _announce(session, ticket, "serving")
    return ticket


def finish(
    session: Session,
    ticket_id: str,
    *,
    counter_id: str | None = None,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    ticket = _ticket_at_counter(session, ticket_id, counter_id)
    if ticket.status not in ACTIVE_AT_COUNTER:
        raise InvalidTransition()
    return _finish(session, ticket, actor=actor, now=now or utcnow())


def _finish(session: Session, ticket: Ticket, *, actor: str | None, now: dt.datetime) -> Ticket:
    ticket.status = S.DONE.value
    ticket.finished_at = now
    session.flush()
    record_event(session, ticket, "done", at=now, actor=actor)
    _announce(session, ticket, "done")
    return ticket


def transfer(
    session: Session,
    ticket_id: str,
    target_queue_id: str,
    *,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Send the resident on: same ticket, same number, same issue time, another queue."""
    now = now or utcnow()
    ticket = get_ticket(session, ticket_id, for_update=True)
    if ticket.status in (S.DONE.value, S.NO_SHOW.value):
        raise InvalidTransition()
    target = get_queue(session, target_queue_id)
    if target.office_id != ticket.office_id or target.id == ticket.queue_id:
        raise InvalidTransition("同じ庁舎の別の受付を選んでください。")
    if not target.active:
        raise QueueInactive()
    from_queue, from_counter = ticket.queue_id, ticket.counter_id
    ticket.queue_id = target.id
    ticket.status = S.TRANSFERRED.value
    ticket.counter_id = None
    ticket.called_at = None
    ticket.serving_started_at = None
    ticket.call_count = 0
    ticket.transfer_count += 1
    session.flush()
    record_event(
        session,
        ticket,
        "transferred",
        at=now,
        actor=actor,
        from_queue_id=from_queue,
        from_counter_id=from_counter,
    )
    _announce(session, ticket, "transferred")
    return ticket


def ticket_journey(session: Session, ticket_id: str) -> list[TicketEvent]:
    get_ticket(session, ticket_id)
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at)
        )
    )


def find_by_follow_token(session: Session, token: str) -> Ticket:
    """The phone page's only key: an unguessable token, looked up across tenants by design."""
    ticket = session.scalars(
        select(Ticket).where(Ticket.follow_token == token).execution_options(unscoped=True)
    ).one_or_none()
    if ticket is None:
        raise TicketNotFound()
    session.info["tenant_id"] = ticket.tenant_id
    return ticket
