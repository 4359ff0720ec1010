"""What each screen of the queue gets, one function per request of ``backend.queue.router``:
the ticket machine (purposes, issuing and printing), the clerk's counters and tickets, the
waiting-room board and the resident's phone page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import qrcode
import qrcode.image.svg
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.backoffice import service as backoffice
from backend.identity.tenants.models import Counter, Office
from backend.platform.access import DeviceRef, Principal
from backend.platform.errors import BadRequest
from backend.platform.settings import get_settings
from backend.queue import service, status
from backend.queue.errors import TicketNotFound
from backend.queue.models import WAITING_STATUSES, Queue, Ticket, TicketStatus
from backend.queue.printing import TicketPrintJob, get_ticket_printer, print_safely
from backend.queue.schemas import (
    Board,
    BoardCall,
    BoardQueue,
    CounterRead,
    FollowStatus,
    IssuedTicket,
    PrintResult,
    QueueList,
    QueueRead,
    TicketCreate,
    TicketRead,
)

# A ticket whose phone page no longer shows its QR code.
FINISHED = (TicketStatus.DONE, TicketStatus.NO_SHOW)


def office_of(session: Session, principal: Principal, office_id: str | None) -> Office:
    """The office asked for, else the device's own, else the tenant's first."""
    wanted = office_id or (principal.device.office_id if principal.device else None)
    if wanted is None:
        return service.default_office(session)
    office = service.get_office(session, wanted)
    if office is None:
        raise service.NotFoundOffice()
    return office


def follow_url(token: str, lang: str = "ja") -> str:
    # The token travels in the fragment: never sent to the server in logs or Referer headers.
    # The language (not secret) is a query parameter, so the page opens in the ticket's language.
    query = "" if lang == "ja" else f"?lang={lang}"
    return f"{get_settings().public_url.rstrip('/')}/follow/{query}#{token}"


# --- ticket machine -----------------------------------------------------------------------


def queue_list(session: Session, principal: Principal, office_id: str | None) -> QueueList:
    """The purposes a ticket machine offers, with waiting counts and estimates."""
    office = office_of(session, principal, office_id)
    view = status.office_view(session, office.id)
    zone = service.tenant_zone(session, office.tenant_id)
    local = view.now.astimezone(zone)
    rows = []
    for queue in view.queues:
        hours = service.issuing_hours(office, queue)
        rows.append(
            QueueRead(
                id=queue.id,
                prefix=queue.prefix,
                name_ja=queue.name_ja,
                name_en=queue.name_en,
                names=queue.resident_names(),
                waiting=view.waiting_count(queue.id),
                estimated_wait_minutes=status.round_minutes(view.estimate_new(queue.id)),
                issuing_open=hours.is_open(local),
                opens_at=hours.opens_at,
                closes_at=hours.closes_at,
            )
        )
    return QueueList(office_id=office.id, office_name=office.name, queues=rows)


@dataclass(frozen=True)
class TicketToPrint:
    """A ticket issued in a unit of work, and its slip: printed once that unit has committed."""

    ticket: TicketRead
    answer: partial[IssuedTicket]  # all but ``print``, the printer's outcome
    job: TicketPrintJob
    device: DeviceRef | None


def issue(session: Session, principal: Principal, body: TicketCreate) -> TicketToPrint:
    """Issue a ticket; ``print_issued`` prints it after the commit (the QR is the fallback)."""
    queue = service.get_queue(session, body.queue_id)
    if principal.device and principal.device.office_id not in (None, queue.office_id):
        raise BadRequest("この発券機の庁舎の受付ではありません。")
    # The office is read before the number is taken: the queue's numbering lock is held from
    # then until the COMMIT, and every other ticket of the queue waits for it (at 64 counters on
    # two processes, 4.9 requests waited on it on average while this read was made under it).
    # A ticket of the queue numbered by another machine in between is not counted ahead.
    now = service.utcnow()
    before = status.office_view(session, queue.office_id, now)
    ticket = service.issue_ticket(
        session,
        queue_id=queue.id,
        priority=body.priority,
        actor=principal.actor,
        lang=body.lang,
        now=now,
    )
    view = before.with_issued(ticket)
    ahead = view.people_ahead(ticket)
    minutes = status.round_minutes(view.estimates().get(ticket.id))
    office = service.get_office(session, ticket.office_id)
    assert office is not None  # the ticket's office, read when the ticket was numbered
    url = follow_url(ticket.follow_token, body.lang)
    job = TicketPrintJob(
        display_number=ticket.display_number,
        queue_name_ja=queue.name_ja,
        queue_name_en=queue.name_en,
        queue_name_local=queue.name_in(body.lang),
        office_name=office.name,
        issued_at_local=ticket.issued_at.astimezone(service.tenant_zone(session, ticket.tenant_id)),
        people_ahead=ahead,
        estimated_minutes=minutes,
        follow_url=url,
        lang=body.lang,
    )
    read = TicketRead.model_validate(ticket)
    answer = partial(
        IssuedTicket,
        ticket=read,
        people_ahead=ahead,
        estimated_wait_minutes=minutes,
        follow_url=url,
        qr_svg_url=f"/api/v1/follow/{ticket.follow_token}/qr.svg?lang={body.lang}",
        queue_name_ja=queue.name_ja,
        queue_name_en=queue.name_en,
        queue_names=queue.resident_names(),
    )
    return TicketToPrint(read, answer, job, principal.device)


def print_issued(issued: TicketToPrint) -> IssuedTicket:
    """Print a committed ticket on its machine's printer; the answer says how it went.

    After the commit, never inside the unit of work: a ticket whose commit failed is never on
    paper (its number goes to the next resident, who would hold the same number), and a slow
    or unreachable printer (up to its timeout, 3 s) holds neither a database connection nor
    the queue's numbering lock, which every other ticket of the queue waits for."""
    outcome = print_safely(get_ticket_printer(), issued.device, issued.job)
    result = PrintResult(
        status=outcome.status.value, printed=outcome.printed, message=outcome.message
    )
    return issued.answer(print=result)


# --- staff: counters and tickets ----------------------------------------------------------


def counter_read(session: Session, counter: Counter) -> CounterRead:
    return _counter_read(
        counter,
        service.counter_queue_ids(session, counter.id),
        service.current_ticket(session, counter.id),
    )


def _counter_read(counter: Counter, queue_ids: list[str], current: Ticket | None) -> CounterRead:
    return CounterRead(
        id=counter.id,
        code=counter.code,
        name=counter.name,
        floor=counter.floor,
        is_open=counter.is_open,
        queue_ids=queue_ids,
        current_ticket=TicketRead.model_validate(current) if current else None,
    )


def counters(session: Session, principal: Principal, office_id: str | None) -> list[CounterRead]:
    """The office's counters in three statements whatever their number (two a counter made
    the console's first load of a 64-counter office cost 128 statements)."""
    office = office_of(session, principal, office_id)
    rows = list(
        session.scalars(
            select(Counter).where(Counter.office_id == office.id).order_by(Counter.code)
        )
    )
    ids = [counter.id for counter in rows]
    queue_ids = service.queue_ids_of_counters(session, ids)
    current = service.current_tickets(session, ids)
    return [_counter_read(c, queue_ids.get(c.id, []), current.get(c.id)) for c in rows]


def set_counter_open(
    session: Session, counter_id: str, is_open: bool, *, actor: str | None
) -> CounterRead:
    counter = service.set_counter_open(session, counter_id, is_open, actor=actor)
    return counter_read(session, counter)


def todays_tickets(
    session: Session, principal: Principal, office_id: str | None, ticket_status: str | None
) -> list[Ticket]:
    """Today's tickets of the office, oldest first."""
    office = office_of(session, principal, office_id)
    day = service.service_day(service.utcnow(), service.tenant_zone(session, office.tenant_id))
    query = select(Ticket).where(Ticket.office_id == office.id, Ticket.service_day == day)
    if ticket_status:
        query = query.where(Ticket.status == ticket_status)
    return list(session.scalars(query.order_by(Ticket.issued_at)))


# --- display board ------------------------------------------------------------------------


def board(session: Session, principal: Principal, office_id: str | None) -> Board:
    """What the waiting-room display shows: the last calls and the queues."""
    office = office_of(session, principal, office_id)
    view = status.office_view(session, office.id)
    by_id = {c.id: c for c in view.counters}
    calls = [
        BoardCall(
            display_number=t.display_number,
            counter_code=by_id[t.counter_id].code,
            counter_name=by_id[t.counter_id].name,
            floor=by_id[t.counter_id].floor,
            called_at=t.called_at,
            status=t.status,
        )
        for t in status.recent_calls(session, office.id, view.day)
        if t.counter_id in by_id and t.called_at is not None
    ]
    queues = [
        BoardQueue(
            prefix=q.prefix,
            name_ja=q.name_ja,
            name_en=q.name_en,
            names=q.resident_names(),
            waiting=view.waiting_count(q.id),
            estimated_wait_minutes=status.round_minutes(view.estimate_new(q.id)),
        )
        for q in view.queues
    ]
    languages = get_settings().display_languages.split(",")
    return Board(
        office_id=office.id,
        office_name=office.name,
        calls=calls,
        queues=queues,
        languages=languages,
    )


# --- the phone page (public, by follow token only) ----------------------------------------


def follow_status(session: Session, token: str) -> FollowStatus:
    """A ticket's status for the resident's phone (no personal data)."""
    ticket = service.find_by_follow_token(session, token)
    queue = session.scalars(select(Queue).where(Queue.id == ticket.queue_id)).one()
    view = status.office_view(session, ticket.office_id)
    waiting = ticket.status in WAITING_STATUSES
    counter = (
        session.scalars(select(Counter).where(Counter.id == ticket.counter_id)).one_or_none()
        if ticket.counter_id
        else None
    )
    return FollowStatus(
        display_number=ticket.display_number,
        status=ticket.status,
        queue_name_ja=queue.name_ja,
        queue_name_en=queue.name_en,
        queue_names=queue.resident_names(),
        lang=ticket.lang,
        people_ahead=view.people_ahead(ticket) if waiting else None,
        estimated_wait_minutes=(
            status.round_minutes(view.estimates().get(ticket.id)) if waiting else None
        ),
        counter_code=counter.code if counter else None,
        counter_name=counter.name if counter else None,
        office_id=ticket.office_id,
        outcome=(
            backoffice.follow_outcome(session, ticket.tenant_id, ticket.id)
            if ticket.status == TicketStatus.DONE
            else None
        ),
    )


def follow_qr_svg(session: Session, token: str, lang: str = "ja") -> bytes:
    """The QR code of the phone page, while the ticket is still in the queue."""
    ticket = service.find_by_follow_token(session, token)
    if ticket.status in FINISHED:
        raise TicketNotFound()
    image = qrcode.make(
        follow_url(token, lang), image_factory=qrcode.image.svg.SvgPathImage, box_size=12
    )
    return bytes(image.to_string())
