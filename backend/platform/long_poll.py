"""Long-polled conditional GETs: ``?wait=N`` with the held ETag in ``If-None-Match``.

A screen that polls an answer which rarely changes (the tablet's view, the console's device
presence and signature wait) sends ``wait`` with the ETag it holds: the answer comes at once
if it changed, else only when something it is made of may have changed (notifier keys: the
counter's ``counter_key`` and ``devices_key``, published by ``backend.counter.wake``) or after
``wait`` seconds (a 304). One request per change instead of one every second or three.

Waiting holds no thread and no database connection: each look is a short unit of work of its
own (``run_authorized``: authenticated again and checked for the route's ``hot_route``
permission, so a caller revoked meanwhile gets its 401), and between looks the request awaits
an ``asyncio`` event. Looks happen when a key is published, when the answer says it goes stale
by itself (``Look.stale_in``: a presence that expires by time), every ``RECHECK_SECONDS`` while
notifications may be lost (``notifier.recheck_seconds``: PostgreSQL's listener not listening),
and every ``RECHECK_SECONDS`` for a caller whose looks keep it present
(``keeps_caller_present``: the tablet, seen by each look). Without ``wait`` (or without an
ETag) a request is answered as before: at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.orm import Session

from backend.platform import notifier
from backend.platform.access import Principal, run_authorized
from backend.platform.db import get_engine

RECHECK_SECONDS = 8.0
"""A waiting tablet looks again this often without a wake-up (so it is seen, so present, this
often); any wait does while notifications may be lost."""
MAX_WAIT_SECONDS = 30  # the longest wait a screen may ask for
STALE_MARGIN_SECONDS = 0.05  # look this long after the answer said it goes stale


def counter_key(counter_id: str) -> str:
    """Published for any change of a visit at the counter, its members or the counter's agent
    jobs (``backend.counter.wake``): a dozen times a visit."""
    return f"counter:{counter_id}"


def devices_key(counter_id: str) -> str:
    """Published when the presence of the counter's devices changes (an agent connects or
    leaves, a device is paired, moved, revoked or seen again after its presence lapsed): the
    console's device polls wait on this one only, not woken by every change of the visit."""
    return f"counter:{counter_id}:devices"


@dataclass(frozen=True)
class Look:
    """One look at the answer: the response (304 while unchanged), the keys whose publication
    means "look again" (none: nothing to wait on, answer now), and in how many seconds the
    answer changes by itself if nothing is published (None: not by time)."""

    response: Response
    keys: tuple[str, ...]
    stale_in: float | None = None


LookAt = Callable[[Session, Principal], Look]


async def answer(
    request: Request,
    look: LookAt,
    wait: int,
    keys: tuple[str, ...] = (),
    *,
    keeps_caller_present: bool = False,
) -> Response:
    """``look``'s response; with ``wait`` > 0 and an ETag, held until it is no longer a 304 or
    ``wait`` seconds have passed. ``keys``: the keys to wait on when known before the first look
    (watched from before it, so that look is the only one when something changed meanwhile);
    else the first look's ``Look.keys``. ``keeps_caller_present``: look at least every
    ``RECHECK_SECONDS`` (each look sees the caller: a tablet's presence lasts 20 seconds).
    Each look is a ``run_authorized`` unit, checked for the route's ``hot_route`` permission."""
    if wait <= 0 or not request.headers.get("if-none-match"):
        return (await run_authorized(request, look)).response
    await notifier.notifier.ensure_listening(get_engine())
    if not keys:
        first = await run_authorized(request, look)
        if first.response.status_code != 304 or not first.keys:
            return first.response
        # Watched only from now: the loop looks once more, a change in between is not lost.
        return await _wait(request, look, first.keys, wait, first, keeps_caller_present)
    return await _wait(request, look, keys, wait, None, keeps_caller_present)


async def _wait(
    request: Request,
    look: LookAt,
    keys: tuple[str, ...],
    seconds: int,
    unchanged: Look | None,
    keeps_caller_present: bool,
) -> Response:
    loop = asyncio.get_running_loop()
    dialect = get_engine().dialect.name
    deadline = loop.time() + seconds
    with notifier.waits.slot() as granted, notifier.notifier.watch(*keys) as woken:
        if not granted and unchanged is not None:
            return unchanged.response  # the process's budget of waits is spent: a plain poll
        while True:
            woken.clear()
            current = await run_authorized(request, look)
            left = deadline - loop.time()
            if (
                not granted
                or current.response.status_code != 304
                or current.keys != keys
                or left <= 0
            ):
                return current.response
            recheck = (
                RECHECK_SECONDS
                if keeps_caller_present
                else notifier.notifier.recheck_seconds(dialect)
            )
            timeout = left if recheck is None else min(recheck, left)
            if current.stale_in is not None:
                timeout = min(timeout, max(current.stale_in, 0.0) + STALE_MARGIN_SECONDS)
            try:
                await asyncio.wait_for(woken.wait(), timeout=timeout)
            except TimeoutError:
                if loop.time() >= deadline:
                    # Nothing published: the 304 just looked at stands (the screen asks again
                    # at once, and that request's first look is the next one).
                    return current.response
            if await request.is_disconnected():
                # Gone: not looked at again (a look authenticates, so a tablet closed meanwhile
                # would count as seen).
                return current.response
