"""/api/v1 queues, tickets, counters, the display board and the phone status page.

Ticket machines (``ticket.issue``) and display boards (``board.read``) authenticate with their
device token (``Authorization: Bearer …``); clerks call with ``queue.call``. The phone page is
public but reachable only through the ticket's unguessable follow token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from backend.platform.access import (
    NOT_SENT,
    Permission,
    Principal,
    body_checked_later,
    checked,
    hot_route,
    require,
    run_authorized,
    run_authorized_then,
)
from backend.platform.deps import SessionDep
from backend.queue import screens, service
from backend.queue.live import event_stream, unit_of_work
from backend.queue.models import Ticket
from backend.queue.schemas import (
    Board,
    CallResult,
    CounterRead,
    FollowStatus,
    IssuedTicket,
    QueueList,
    ResidentLanguage,
    TicketCreate,
    TicketEventRead,
    TicketRead,
    TicketTransfer,
)

router = APIRouter(prefix="/api/v1", tags=["queue"])

BoardReader = Annotated[Principal, Depends(require(Permission.BOARD_READ))]
Caller = Annotated[Principal, Depends(require(Permission.QUEUE_CALL))]
OfficeParam = Annotated[str | None, Query(description="office id; a device uses its own")]
ISSUE = Permission.TICKET_ISSUE
CALL = Permission.QUEUE_CALL

# The routes every visit calls are hot routes (``access.run_authorized``: one thread hand-off
# instead of four or five); a body is checked after the caller, as ``require`` orders it.


# --- ticket machine -----------------------------------------------------------------------


@router.get("/ticket-machine/queues", response_model=QueueList)
@hot_route(ISSUE)
async def ticket_machine_queues(request: Request, office_id: OfficeParam = None) -> QueueList:
    """The purposes a ticket machine offers, with waiting counts and estimates."""
    return await run_authorized(
        request,
        lambda session, principal: screens.queue_list(session, principal, office_id),
    )


@router.get("/queues", response_model=QueueList)
def list_queues(
    principal: BoardReader, session: SessionDep, office_id: OfficeParam = None
) -> QueueList:
    return screens.queue_list(session, principal, office_id)


@router.post("/tickets", response_model=IssuedTicket, status_code=201)
@hot_route(ISSUE)
async def issue_ticket(
    request: Request, body: Annotated[object, body_checked_later(TicketCreate)] = NOT_SENT
) -> IssuedTicket:
    """Issue a ticket and print it on the machine's printer; the QR is the fallback."""

    def issued(session: Session, principal: Principal) -> screens.TicketToPrint:
        return screens.issue(session, principal, checked(TicketCreate, body))

    # Printed once committed (screens.print_issued says why).
    return await run_authorized_then(request, issued, screens.print_issued)


# --- staff: counters and tickets ----------------------------------------------------------


@router.get("/counters", response_model=list[CounterRead])
def list_counters(
    principal: Caller, session: SessionDep, office_id: OfficeParam = None
) -> list[CounterRead]:
    return screens.counters(session, principal, office_id)


@router.post("/counters/{counter_id}/open", response_model=CounterRead)
def open_counter(counter_id: str, principal: Caller, session: SessionDep) -> CounterRead:
    return screens.set_counter_open(session, counter_id, True, actor=principal.actor)


@router.post("/counters/{counter_id}/close", response_model=CounterRead)
def close_counter(counter_id: str, principal: Caller, session: SessionDep) -> CounterRead:
    return screens.set_counter_open(session, counter_id, False, actor=principal.actor)


@router.post("/counters/{counter_id}/call-next", response_model=CallResult)
@hot_route(CALL)
async def call_next(counter_id: str, request: Request) -> CallResult:
    """Call the oldest eligible ticket of the counter's queues (priority first)."""

    def called(session: Session, principal: Principal) -> CallResult:
        ticket = service.call_next(session, counter_id, actor=principal.actor)
        return CallResult(ticket=TicketRead.model_validate(ticket) if ticket else None)

    return await run_authorized(request, called)


@router.get("/tickets", response_model=list[TicketRead])
def list_tickets(
    principal: Caller,
    session: SessionDep,
    office_id: OfficeParam = None,
    ticket_status: Annotated[str | None, Query(alias="status")] = None,
) -> list[TicketRead]:
    """Today's tickets of the office, oldest first."""
    rows = screens.todays_tickets(session, principal, office_id, ticket_status)
    return [TicketRead.model_validate(t) for t in rows]


@router.get("/tickets/{ticket_id}", response_model=TicketRead)
def read_ticket(ticket_id: str, principal: Caller, session: SessionDep) -> TicketRead:
    return TicketRead.model_validate(service.get_ticket(session, ticket_id))


@router.get("/tickets/{ticket_id}/events", response_model=list[TicketEventRead])
def ticket_events(ticket_id: str, principal: Caller, session: SessionDep) -> list[TicketEventRead]:
    """The ticket's journey, every transition with its time."""
    return [TicketEventRead.model_validate(e) for e in service.ticket_journey(session, ticket_id)]


@router.post("/tickets/{ticket_id}/recall", response_model=TicketRead)
@hot_route(CALL)
async def recall(ticket_id: str, request: Request) -> TicketRead:
    """Call again; after the queue's max calls the ticket becomes a no-show."""
    return await _moved(request, ticket_id, service.recall)


@router.post("/tickets/{ticket_id}/start", response_model=TicketRead)
@hot_route(CALL)
async def start(ticket_id: str, request: Request) -> TicketRead:
    return await _moved(request, ticket_id, service.start_serving)


@router.post("/tickets/{ticket_id}/finish", response_model=TicketRead)
@hot_route(CALL)
async def finish(ticket_id: str, request: Request) -> TicketRead:
    return await _moved(request, ticket_id, service.finish)


async def _moved(request: Request, ticket_id: str, move: Callable[..., Ticket]) -> TicketRead:
    """The ticket after ``move(session, ticket_id, actor=…)`` by the calling clerk."""
    return await run_authorized(
        request,
        lambda session, principal: TicketRead.model_validate(
            move(session, ticket_id, actor=principal.actor)
        ),
    )


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


@router.get("/board", response_model=Board)
def board(principal: BoardReader, session: SessionDep, office_id: OfficeParam = None) -> Board:
    """What the waiting-room display shows: the last calls and the queues."""
    return screens.board(session, principal, office_id)


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
        return screens.office_of(session, principal, office_id).id

    office = await unit_of_work(request, authorise)
    return event_stream(request, service.office_topic(office), _public_call)


# Checked inside (a stream holds no session); declared here for the route walk and the docs.
board_events.permission = Permission.BOARD_READ  # type: ignore[attr-defined]


# --- the phone page (public, by follow token only) ----------------------------------------


@router.get("/follow/{token}", response_model=FollowStatus)
def follow(token: str, session: SessionDep, response: Response) -> FollowStatus:
    """A ticket's status for the resident's phone (no personal data)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return screens.follow_status(session, token)


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
def follow_qr(token: str, session: SessionDep, lang: ResidentLanguage = "ja") -> Response:
    """The QR code of the phone page, shown on the ticket machine when nothing was printed;
    the page opens in ``lang``, the language the ticket was issued in."""
    return Response(
        content=screens.follow_qr_svg(session, token, lang),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )
