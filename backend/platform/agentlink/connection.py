"""The asyncio side of one agent connection: reader, writer and a dispatch pump.

Used by the WebSocket endpoint and by the in-process transport alike; the hub does the rest
(short database work in worker threads). The pump sleeps on the device's key (``notifier``):
a job queued on any replica wakes the replica that holds this connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import contracts.agent as protocol
from backend.platform import notifier
from backend.platform.agentlink.hub import AgentIdentity, Hub
from backend.platform.db import get_engine

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 15.0
# While notifications may be lost (``notifier.recheck_seconds``) the pump looks for jobs this
# often; else only when woken, and at each ping (a listener whose connection died unnoticed
# delays a job by a ping at most).
POLL_SECONDS = notifier.RECHECK_SECONDS
PING_SECONDS = 10.0


class LoopLink:
    """Hands messages from any thread to the connection's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.outbound: asyncio.Queue[protocol.BackendMessage] = asyncio.Queue()

    def send(self, message: protocol.BackendMessage) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closing: the job is resent later
            self.loop.call_soon_threadsafe(self.outbound.put_nowait, message)


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
    await notifier.notifier.ensure_listening(get_engine())
    with notifier.notifier.watch(notifier.device_key(identity.device_id)) as wakeup:
        await _serve(hub, identity, hello, receive, send, wakeup, poll_seconds, ping_seconds)


async def _serve(
    hub: Hub,
    identity: AgentIdentity,
    hello: protocol.Hello,
    receive: Callable[[], Awaitable[protocol.AgentMessage]],
    send: Callable[[protocol.BackendMessage], Awaitable[None]],
    wakeup: asyncio.Event,
    poll_seconds: float,
    ping_seconds: float,
) -> None:
    # Watching before attaching: a job queued while the hello is handled is not missed.
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
        next_ping = time.monotonic() + ping_seconds
        dialect = get_engine().dialect.name
        while True:
            timeout = next_ping - time.monotonic()
            if notifier.notifier.recheck_seconds(dialect) is not None:
                timeout = min(poll_seconds, timeout)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout=max(0.0, timeout))
            wakeup.clear()
            # The ping before the dispatch, which may wait for a free thread: the agent's pong
            # is what keeps it online for the other replicas (``hub.PRESENCE_SECONDS``).
            if time.monotonic() >= next_ping:
                next_ping = time.monotonic() + ping_seconds
                link.send(protocol.Ping())
            await asyncio.to_thread(hub.dispatch, identity)

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
