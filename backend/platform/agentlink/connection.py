"""The asyncio side of one agent connection: reader, writer and a dispatch pump.

Used by the WebSocket endpoint and by the in-process transport alike; the hub does the rest
(in worker threads, since it talks to the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import contracts.agent as protocol
from backend.platform.agentlink.hub import AgentIdentity, Hub

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 15.0
POLL_SECONDS = 1.0  # jobs submitted through another backend process are found this fast
PING_SECONDS = 10.0


class LoopLink:
    """Hands messages from any thread to the connection's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.outbound: asyncio.Queue[protocol.BackendMessage] = asyncio.Queue()
        self.wakeup = asyncio.Event()

    def send(self, message: protocol.BackendMessage) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closing: the job is resent later
            self.loop.call_soon_threadsafe(self.outbound.put_nowait, message)

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.wakeup.set)


async def serve_agent(
    hub: Hub,
    identity: AgentIdentity,
    receive: Callable[[], Awaitable[protocol.AgentMessage]],
    send: Callable[[protocol.BackendMessage], Awaitable[None]],
    *,
    poll_seconds: float = POLL_SECONDS,
    ping_seconds: float = PING_SECONDS,
) -> None:
    """Serve one connection until it closes (``receive`` or ``send`` raises).

    A message ``receive`` cannot read (``ProtocolError``) is logged, without its content, and
    skipped; a connection that does not start with a hello is closed.
    """
    try:
        hello = await asyncio.wait_for(receive(), timeout=HELLO_TIMEOUT)
    except protocol.ProtocolError as exc:
        log.warning("agent %s: unreadable hello (%s)", identity.device_id, exc)
        return
    if not isinstance(hello, protocol.Hello):
        log.warning("agent %s did not start with hello", identity.device_id)
        return
    link = LoopLink(asyncio.get_running_loop())
    await asyncio.to_thread(hub.attach, identity, link, hello)

    async def reader() -> None:
        while True:
            try:
                message = await receive()
            except protocol.ProtocolError as exc:
                log.warning("agent %s: message refused (%s)", identity.device_id, exc)
                continue
            await asyncio.to_thread(hub.handle, identity, message)

    async def writer() -> None:
        while True:
            await send(await link.outbound.get())

    async def pump() -> None:
        since_ping = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(link.wakeup.wait(), timeout=poll_seconds)
            link.wakeup.clear()
            await asyncio.to_thread(hub.dispatch, identity)
            since_ping += poll_seconds
            if since_ping >= ping_seconds:
                since_ping = 0.0
                link.send(protocol.Ping())

    tasks = [asyncio.create_task(t()) for t in (reader, writer, pump)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.info(
                    "agent %s connection ended: %s",
                    identity.device_id,
                    type(task.exception()).__name__,
                )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(hub.detach, identity, link)
