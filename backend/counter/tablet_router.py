"""``/api/v1/tablet``: the tablet paired with a counter polls what to show and sends the signature.

The tablet authenticates as a device (``Permission.TABLET_SESSION``) and sees only the visit
its counter sent for confirmation; the PIN goes through ``/api/v1/agent/jobs/{id}/pin``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from backend.counter import tablet, wake
from backend.counter.schemas import (
    SignatureSubmit,
    SignatureWait,
    Signed,
    TabletStatus,
    TabletView,
)
from backend.guidance.schemas import ResidentLanguage
from backend.platform import conditional, long_poll
from backend.platform.access import (
    NOT_SENT,
    Permission,
    Principal,
    body_checked_later,
    checked,
    hot_route,
    run_authorized,
)

router = APIRouter(prefix="/api/v1/tablet", tags=["tablet"])


# The polls answer 304 while nothing changed (``backend.platform.conditional``); authenticated
# first, as every request. With ``wait`` (seconds) and the ETag they are long-polls
# (``backend.platform.long_poll``): answered when something at the counter changed
# (``backend.counter.wake``), else a 304 after that long.

Wait = Annotated[int, Query(ge=0, le=wake.MAX_WAIT_SECONDS)]


@router.get("/status", response_model=TabletStatus)
@hot_route(Permission.VISIT_READ)
async def tablet_status(counter_id: str, request: Request, wait: Wait = 0) -> Response:
    """Whether the counter's tablet is there (the staff console long-polls it). Goes offline by
    time: a wait looks again when the tablet's presence would lapse."""
    keys = (wake.devices_key(counter_id),)

    def look(session: Session, _principal: Principal) -> long_poll.Look:
        status, stale_in = tablet.tablet_presence(session, counter_id)
        return long_poll.Look(
            conditional.answer_model(request, status, conditional.NO_CACHE), keys, stale_in
        )

    return await long_poll.answer(request, look, wait, keys)


@router.get("/visits/{visit_id}/signature-wait", response_model=SignatureWait)
@hot_route(Permission.VISIT_READ)
async def signature_wait(visit_id: str, request: Request, wait: Wait = 0) -> Response:
    """The visit's status and its counter's tablet in one poll (instead of GET visit, audited,
    and GET tablet/status every 1.5 s); the console reads the visit once it is signed. With
    ``wait``, answered when the signature is stored (the visit's write wakes its counter) or
    the tablet comes or goes."""

    def look(session: Session, _principal: Principal) -> long_poll.Look:
        answer, counter_id, stale_in = tablet.signature_wait_and_counter(session, visit_id)
        response = conditional.answer_model(request, answer, conditional.NO_CACHE)
        return long_poll.Look(response, _keys(counter_id), stale_in)

    return await long_poll.answer(request, look, wait)


@router.get("/current", response_model=TabletView)
@hot_route(Permission.TABLET_SESSION)
async def current(request: Request, lang: ResidentLanguage = None, wait: Wait = 0) -> Response:
    """What the tablet shows now: a PIN pad, the data to confirm and sign, or a welcome; with
    ``lang`` (the resident's choice on the tablet), the procedures in that language too.

    304 while the tablet holds the answer (its ETag). With ``wait`` (seconds) and the ETag, the
    304 comes only after that long, and a change at the counter (``backend.counter.wake``)
    answers at once: one request per change instead of one a second, and no thread held while
    waiting. ``no-store``: the answer carries the resident's data, so the tablet keeps it in
    memory, not the browser."""

    def look(session: Session, principal: Principal) -> long_poll.Look:
        counter_id = principal.device.counter_id if principal.device else None
        etag = tablet.view_etag(session, principal, lang)  # first: see its docstring

        def view() -> bytes:  # built only for a 200
            return conditional.to_json(tablet.current_view(session, principal, lang))

        response = conditional.answer(request, etag, view, conditional.NO_STORE)
        return long_poll.Look(response, _keys(counter_id))

    return await long_poll.answer(request, look, wait, keeps_caller_present=True)


def _keys(counter_id: str | None) -> tuple[str, ...]:
    """What the visit's answers wait on: its counter's changes and its devices' presence."""
    return (wake.counter_key(counter_id), wake.devices_key(counter_id)) if counter_id else ()


@router.post("/visits/{visit_id}/signature", response_model=Signed)
@hot_route(Permission.TABLET_SESSION)
async def sign(
    visit_id: str,
    request: Request,
    body: Annotated[object, body_checked_later(SignatureSubmit)] = NOT_SENT,
) -> Signed:
    """The one signature: applied to every form of the visit, bound to each document's hash."""
    # A hot route (one thread hand-off); the body is checked after the caller.

    def signed(session: Session, principal: Principal) -> Signed:
        signature = checked(SignatureSubmit, body).signature
        return tablet.sign(session, visit_id, signature, principal)

    return await run_authorized(request, signed)
