"""/api/v1 queues, tickets, counters, the display board and the phone status page.

Ticket machines (``ticket.issue``) and display boards (``board.read``) authenticate with their
device token (``Authorization: Bearer …``); clerks call with ``queue.call``. The phone page is
public but reachable only through the ticket's unguessable follow token.
"""

from __future__ import annotations

from typing import Annotated, Any

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Counter, Office
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.platform.errors import BadRequest
from backend.platform.settings import get_settings
from backend.queue import service, status
from backend.queue.errors import TicketNotFound
from backend.queue.live import event_stream, unit_of_work
from backend.queue.models import Queue, Ticket
from backend.queue.printing import TicketPrintJob, get_ticket_printer, print_safely
from backend.queue.schemas import (
    Board,
    BoardCall,
    BoardQueue,
    CallResult,
    CounterRead,
    FollowStatus,
    IssuedTicket,
    PrintResult,
    QueueList,
    QueueRead,
    TicketCreate,
    TicketEventRead,
    TicketRead,
    TicketTransfer,
)

router = APIRouter(prefix="/api/v1", tags=["queue"])

Issuer = Annotated[Principal, Depends(require(Permission.TICKET_ISSUE))]
BoardReader = Annotated[Principal, Depends(require(Permission.BOARD_READ))]
Caller = Annotated[Principal, Depends(require(Permission.QUEUE_CALL))]
OfficeParam = Annotated[str | None, Query(description="office id; a device uses its own")]


def _office_of(session: Session, principal: Principal, office_id: str | None) -> Office:
    wanted = office_id or (principal.device.office_id if principal.device else None)
    if wanted is None:
        return service.default_office(session)
    office = session.scalars(select(Office).where(Office.id == wanted)).one_or_none()
    if office is None:
        raise service.NotFoundOffice()
    return office


def follow_url(token: str) -> str:
    # The token travels in the fragment: never sent to the server in logs or Referer headers.
    return f"{get_settings().public_url.rstrip('/')}/follow/#{token}"


# --- ticket machine -----------------------------------------------------------------------


def _queue_list(session: Session, office: Office) -> QueueList:
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
                waiting=view.waiting_count(queue.id),
                estimated_wait_minutes=status.round_minutes(view.estimate_new(queue.id)),
                issuing_open=hours.is_open(local),
                opens_at=hours.opens_at,
                closes_at=hours.closes_at,
            )
        )
    return QueueList(office_id=office.id, office_name=office.name, queues=rows)


@router.get("/ticket-machine/queues", response_model=QueueList)
def ticket_machine_queues(
    principal: Issuer, session: SessionDep, office_id: OfficeParam = None
) -> QueueList:
    """The purposes a ticket machine offers, with waiting counts and estimates."""
    return _queue_list(session, _office_of(session, principal, office_id))


@router.get("/queues", response_model=QueueList)
def list_queues(
    principal: BoardReader, session: SessionDep, office_id: OfficeParam = None
) -> QueueList:
    return _queue_list(session, _office_of(session, principal, office_id))


@router.post("/tickets", response_model=IssuedTicket, status_code=201)
def issue_ticket(body: TicketCreate, principal: Issuer, session: SessionDep) -> IssuedTicket:
    """Issue a ticket and print it on the machine's printer; the QR is the fallback."""
    queue = service.get_queue(session, body.queue_id)
    if principal.device and principal.device.office_id not in (None, queue.office_id):
        raise BadRequest("この発券機の庁舎の受付ではありません。")
    ticket = service.issue_ticket(
        session, queue_id=queue.id, priority=body.priority, actor=principal.actor
    )
    view = status.office_view(session, ticket.office_id)
    ahead = view.people_ahead(ticket)
    minutes = status.round_minutes(view.estimates().get(ticket.id))
    office = session.scalars(select(Office).where(Office.id == ticket.office_id)).one()
    url = follow_url(ticket.follow_token)
    job = TicketPrintJob(
        display_number=ticket.display_number,
        queue_name_ja=queue.name_ja,
        queue_name_en=queue.name_en,
        office_name=office.name,
        issued_at_local=ticket.issued_at.astimezone(service.tenant_zone(session, ticket.tenant_id)),
        people_ahead=ahead,
        estimated_minutes=minutes,
        follow_url=url,
    )
    outcome = print_safely(get_ticket_printer(), principal.device, job)
    return IssuedTicket(
        ticket=TicketRead.model_validate(ticket),
        people_ahead=ahead,
        estimated_wait_minutes=minutes,
        follow_url=url,
        qr_svg_url=f"/api/v1/follow/{ticket.follow_token}/qr.svg",
        print=PrintResult(
            status=outcome.status.value, printed=outcome.printed, message=outcome.message
        ),
        queue_name_ja=queue.name_ja,
        queue_name_en=queue.name_en,
    )


# --- staff: counters and tickets ----------------------------------------------------------


def _counter_read(session: Session, counter: Counter) -> CounterRead:
    current = service.current_ticket(session, counter.id)
    return CounterRead(
        id=counter.id,
        code=counter.code,
        name=counter.name,
        floor=counter.floor,
        is_open=counter.is_open,
        queue_ids=service.counter_queue_ids(session, counter.id),
        current_ticket=TicketRead.model_validate(current) if current else None,
    )


@router.get("/counters", response_model=list[CounterRead])
def list_counters(
    principal: Caller, session: SessionDep, office_id: OfficeParam = None
) -> list[CounterRead]:
    office = _office_of(session, principal, office_id)
    counters = session.scalars(
        select(Counter).where(Counter.office_id == office.id).order_by(Counter.code)
    )
    return [_counter_read(session, c) for c in counters]


@router.post("/counters/{counter_id}/open", response_model=CounterRead)
def open_counter(counter_id: str, principal: Caller, session: SessionDep) -> CounterRead:
    counter = service.set_counter_open(session, counter_id, True, actor=principal.actor)
    return _counter_read(session, counter)


@router.post("/counters/{counter_id}/close", response_model=CounterRead)
def close_counter(counter_id: str, principal: Caller, session: SessionDep) -> CounterRead:
    counter = service.set_counter_open(session, counter_id, False, actor=principal.actor)
    return _counter_read(session, counter)


@router.post("/counters/{counter_id}/call-next", response_model=CallResult)
def call_next(counter_id: str, principal: Caller, session: SessionDep) -> CallResult:
    """Call the oldest eligible ticket of the counter's queues (priority first)."""
    ticket = service.call_next(session, counter_id, actor=principal.actor)
    return CallResult(ticket=TicketRead.model_validate(ticket) if ticket else None)


@router.get("/tickets", response_model=list[TicketRead])
def list_tickets(
    principal: Caller,
    session: SessionDep,
    office_id: OfficeParam = None,
    ticket_status: Annotated[str | None, Query(alias="status")] = None,
) -> list[TicketRead]:
    """Today's tickets of the office, oldest first."""
    office = _office_of(session, principal, office_id)
    day = service.service_day(service.utcnow(), service.tenant_zone(session, office.tenant_id))
    query = select(Ticket).where(Ticket.office_id == office.id, Ticket.service_day == day)
    if ticket_status:
        query = query.where(Ticket.status == ticket_status)
    rows = session.scalars(query.order_by(Ticket.issued_at))
    return [TicketRead.model_validate(t) for t in rows]


@router.get("/tickets/{ticket_id}", response_model=TicketRead)
def read_ticket(ticket_id: str, principal: Caller, session: SessionDep) -> TicketRead:
    return TicketRead.model_validate(service.get_ticket(session, ticket_id))


@router.get("/tickets/{ticket_id}/events", response_model=list[TicketEventRead])
def ticket_events(ticket_id: str, principal: Caller, session: SessionDep) -> list[TicketEventRead]:
    """The ticket's journey, every transition with its time."""
    return [TicketEventRead.model_validate(e) for e in service.ticket_journey(session, ticket_id)]


@router.post("/tickets/{ticket_id}/recall", response_model=TicketRead)
def recall(ticket_id: str, principal: Caller, session: SessionDep) -> TicketRead:
    """Call again; after the queue's max calls the ticket becomes a no-show."""
    return TicketRead.model_validate(service.recall(session, ticket_id, actor=principal.actor))


@router.post("/tickets/{ticket_id}/start", response_model=TicketRead)
def start(ticket_id: str, principal: Caller, session: SessionDep) -> TicketRead:
    return TicketRead.model_validate(
        service.start_serving(session, ticket_id, actor=principal.actor)
    )


@router.post("/tickets/{ticket_id}/finish", response_model=TicketRead)
def finish(ticket_id: str, principal: Caller, session: SessionDep) -> TicketRead:
    return TicketRead.model_validate(service.finish(session, ticket_id, actor=principal.actor))


@router.post("/tickets/{ticket_id}/no-show", response_model=TicketRead)
def no_show(ticket_id: str, principal: Caller, session: SessionDep) -> TicketRead:
    return TicketRead.model_validate(
        service.mark_no_show(session, ticket_id, actor=principal.actor)
    )


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketRead)
def transfer(
    ticket_id: str, body: TicketTransfer, principal: Caller, session: SessionDep
) -> TicketRead:
    """Send the resident on to another queue with the same ticket and original issue time."""
    return TicketRead.model_validate(
        service.transfer(session, ticket_id, body.queue_id, actor=principal.actor)
    )


# --- display board ------------------------------------------------------------------------


def _board(session: Session, office: Office) -> Board:
    view = status.office_view(session, office.id)
    counters = {c.id: c for c in view.counters}
    calls = [
        BoardCall(
            display_number=t.display_number,
            counter_code=counters[t.counter_id].code,
            counter_name=counters[t.counter_id].name,
            floor=counters[t.counter_id].floor,
            called_at=t.called_at,
            status=t.status,
        )
        for t in status.recent_calls(session, office.id, view.day)
        if t.counter_id in counters and t.called_at is not None
    ]
    queues = [
        BoardQueue(
            prefix=q.prefix,
            name_ja=q.name_ja,
            name_en=q.name_en,
            waiting=view.waiting_count(q.id),
            estimated_wait_minutes=status.round_minutes(view.estimate_new(q.id)),
        )
        for q in view.queues
    ]
    return Board(office_id=office.id, office_name=office.name, calls=calls, queues=queues)


@router.get("/board", response_model=Board)
def board(principal: BoardReader, session: SessionDep, office_id: OfficeParam = None) -> Board:
    """What the waiting-room display shows: the last calls and the queues."""
    return _board(session, _office_of(session, principal, office_id))


def _public_call(message: dict[str, Any]) -> dict[str, Any]:
    keys = ("type", "display_number", "status", "counter_code", "counter_name", "floor")
    return {k: message[k] for k in keys if k in message}


@router.get(
    "/board/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def board_events(request: Request, office_id: OfficeParam = None) -> StreamingResponse:
    """Server-sent events for the display (Authorization: Bearer <display token>)."""
    guard = require(Permission.BOARD_READ)

    def authorise(session: Session) -> str:
        principal = guard(request, session)
        return _office_of(session, principal, office_id).id

    office = await unit_of_work(request, authorise)
    return event_stream(request, service.office_topic(office), _public_call)


# Checked inside (a stream holds no session); declared here for the route walk and the docs.
board_events.permission = Permission.BOARD_READ  # type: ignore[attr-defined]


# --- the phone page (public, by follow token only) ----------------------------------------


def _follow_status(session: Session, token: str) -> FollowStatus:
    ticket = service.find_by_follow_token(session, token)
    queue = session.scalars(select(Queue).where(Queue.id == ticket.queue_id)).one()
    view = status.office_view(session, ticket.office_id)
    waiting = ticket.status in ("waiting", "transferred")
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
        people_ahead=view.people_ahead(ticket) if waiting else None,
        estimated_wait_minutes=(
            status.round_minutes(view.estimates().get(ticket.id)) if waiting else None
        ),
        counter_code=counter.code if counter else None,
        counter_name=counter.name if counter else None,
        office_id=ticket.office_id,
    )


@router.get("/follow/{token}", response_model=FollowStatus)
def follow(token: str, session: SessionDep, response: Response) -> FollowStatus:
    """A ticket's status for the resident's phone (no personal data)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return _follow_status(session, token)


@router.get(
    "/follow/{token}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def follow_events(request: Request, token: str) -> StreamingResponse:
    """Tells the phone page to refresh whenever its office's queue changes."""

    def office_of(session: Session) -> str:
        return service.find_by_follow_token(session, token).office_id

    office_id = await unit_of_work(request, office_of)
    return event_stream(request, service.office_topic(office_id), lambda _m: {"changed": True})


@router.get(
    "/follow/{token}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def follow_qr(token: str, session: SessionDep) -> Response:
    """The QR code of the phone page, shown on the ticket machine when nothing was printed."""
    ticket = service.find_by_follow_token(session, token)
    if ticket.status in ("done", "no_show"):
        raise TicketNotFound()
    image = qrcode.make(follow_url(token), image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    return Response(
        content=image.to_string(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )
