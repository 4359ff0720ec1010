"""Server-sent event streams for the display board and the phone page.

A stream authenticates and reads what it needs in a short unit of work that is closed before
streaming starts: no database session or transaction stays open while a screen listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.platform import live as events
from backend.platform.db import get_engine
from backend.platform.deps import database_turn, run_unit_of_work

T = TypeVar("T")
HEARTBEAT_SECONDS = 15.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    async with contextlib.asynccontextmanager(database_turn)():
        return await run_in_threadpool(run_unit_of_work, request, work)


def format_event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def _stream(
    request: Request, topic: str, shape: Callable[[dict[str, Any]], dict[str, Any]]
) -> AsyncIterator[bytes]:
    await run_in_threadpool(events.ensure_listener, get_engine())
    with events.hub.subscribe(topic) as queue:
        yield format_event("hello", {"topic_ready": True})
        while not await request.is_disconnected():
            try:
                message = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield format_event(str(message.get("type", "update")), shape(message))


def event_stream(
    request: Request, topic: str, shape: Callable[[dict[str, Any]], dict[str, Any]]
) -> StreamingResponse:
    return StreamingResponse(
        _stream(request, topic, shape), media_type="text/event-stream", headers=SSE_HEADERS
    )
