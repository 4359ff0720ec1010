"""``/api/v1/tablet``: the tablet paired with a counter polls what to show and sends the signature.

The tablet authenticates as a device (``Permission.TABLET_SESSION``) and sees only the visit
its counter sent for confirmation; the PIN goes through ``/api/v1/agent/jobs/{id}/pin``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
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
from backend.platform import conditional, notifier
from backend.platform.access import Permission, Principal, hot_route, require, run_authorized
from backend.platform.db import get_engine
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/tablet", tags=["tablet"])

Tablet = Annotated[Principal, Depends(require(Permission.TABLET_SESSION))]


# The polls answer 304 while nothing changed (``backend.platform.conditional``); authenticated
# first, as every request.


@router.get("/status", response_model=TabletStatus)
@hot_route(Permission.VISIT_READ)
async def tablet_status(counter_id: str, request: Request) -> Response:
    """Whether the counter's tablet is there: it polls every second or two while it runs."""
    return await run_authorized(
        request,
        Permission.VISIT_READ,
        lambda session, _principal: conditional.answer_model(
            request, tablet.tablet_status(session, counter_id), conditional.NO_CACHE
        ),
    )


@router.get("/visits/{visit_id}/signature-wait", response_model=SignatureWait)
@hot_route(Permission.VISIT_READ)
async def signature_wait(visit_id: str, request: Request) -> Response:
    """The visit's status and its counter's tablet in one poll (instead of GET visit, audited,
    and GET tablet/status every 1.5 s); the console reads the visit once it is signed."""
    return await run_authorized(
        request,
        Permission.VISIT_READ,
        lambda session, _principal: conditional.answer_model(
            request, tablet.signature_wait(session, visit_id), conditional.NO_CACHE
        ),
    )


@router.get("/current", response_model=TabletView)
@hot_route(Permission.TABLET_SESSION)
async def current(
    request: Request,
    lang: ResidentLanguage = None,
    wait: Annotated[int, Query(ge=0, le=wake.MAX_WAIT_SECONDS)] = 0,
) -> Response:
    """What the tablet shows now: a PIN pad, the data to confirm and sign, or a welcome; with
    ``lang`` (the resident's choice on the tablet), the procedures in that language too.

    304 while the tablet holds the answer (its ETag). With ``wait`` (seconds) and the ETag, the
    304 comes only after that long, and a change at the counter (``backend.counter.wake``)
    answers at once: one request per change instead of one a second, and no thread held while
    waiting. ``no-store``: the answer carries the resident's data, so the tablet keeps it in
    memory, not the browser."""
    counter: list[str | None] = []

    def answer(session: Session, principal: Principal) -> Response:
        counter[:] = [principal.device.counter_id if principal.device else None]
        etag = tablet.view_etag(session, principal, lang)  # first: see its docstring

        def view() -> bytes:  # built only for a 200
            return conditional.to_json(tablet.current_view(session, principal, lang))

        return conditional.answer(request, etag, view, conditional.NO_STORE)

    response = await run_authorized(request, Permission.TABLET_SESSION, answer)
    if wait == 0 or response.status_code != 304 or not counter[0]:
        return response
    return await _wait_for_change(request, answer, counter[0], wait, response)


async def _wait_for_change(
    request: Request,
    answer: Callable[[Session, Principal], Response],
    counter_id: str,
    seconds: int,
    unchanged: Response,
) -> Response:
    """Look again whenever the counter is woken (and every ``RECHECK_SECONDS`` in case a
    wake-up was lost) until the answer is no longer 304 or ``seconds`` have passed. Each look is
    a short unit of work, authenticated again: a tablet revoked meanwhile gets its 401."""
    await notifier.notifier.ensure_listening(get_engine())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    key = wake.counter_key(counter_id)
    with notifier.waits.slot() as granted, notifier.notifier.watch(key) as woken:
        if not granted:
            return unchanged  # the process's budget of waits is spent: the tablet polls instead
        while True:
            woken.clear()
            response = await run_authorized(request, Permission.TABLET_SESSION, answer)
            left = deadline - loop.time()
            if response.status_code != 304 or left <= 0 or await request.is_disconnected():
                return response
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=min(wake.RECHECK_SECONDS, left))


@router.post("/visits/{visit_id}/signature", response_model=Signed)
def sign(visit_id: str, body: SignatureSubmit, principal: Tablet, session: SessionDep) -> Signed:
    """The one signature: applied to every form of the visit, bound to each document's hash."""
    return tablet.sign(session, visit_id, body.signature, principal)
