"""``/api/v1/tablet``: the tablet paired with a counter polls what to show and sends the signature.

The tablet authenticates as a device (``Permission.TABLET_SESSION``) and sees only the visit
its counter sent for confirmation; the PIN goes through ``/api/v1/agent/jobs/{id}/pin``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from backend.counter import tablet
from backend.counter.schemas import (
    SignatureSubmit,
    SignatureWait,
    Signed,
    TabletStatus,
    TabletView,
)
from backend.guidance.schemas import ResidentLanguage
from backend.platform import conditional
from backend.platform.access import Permission, Principal, hot_route, require, run_authorized
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
async def current(request: Request, lang: ResidentLanguage = None) -> Response:
    """What the tablet shows now: a PIN pad, the data to confirm and sign, or a welcome; with
    ``lang`` (the resident's choice on the tablet), the procedures in that language too.

    Polled every second: 304 while the tablet holds the answer (its ETag). ``no-store``: the
    answer carries the resident's data, so the tablet keeps it in memory, not the browser."""

    def answer(session: Session, principal: Principal) -> Response:
        etag = tablet.view_etag(session, principal, lang)  # first: see its docstring

        def view() -> bytes:  # built only for a 200
            return conditional.to_json(tablet.current_view(session, principal, lang))

        return conditional.answer(request, etag, view, conditional.NO_STORE)

    return await run_authorized(request, Permission.TABLET_SESSION, answer)


@router.post("/visits/{visit_id}/signature", response_model=Signed)
def sign(visit_id: str, body: SignatureSubmit, principal: Tablet, session: SessionDep) -> Signed:
    """The one signature: applied to every form of the visit, bound to each document's hash."""
    return tablet.sign(session, visit_id, body.signature, principal)
