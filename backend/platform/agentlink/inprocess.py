"""The agent inside the backend process (single-PC installs, ``make run``).

The same agent client and the same hub connection code as over a WebSocket, joined by two
asyncio queues instead of a socket.
"""

from __future__ import annotations

import asyncio
import contextlib

import contracts.agent as protocol
from backend.platform.agentlink.connection import serve_agent
from backend.platform.agentlink.hub import AgentIdentity, Hub
from hardware.agent.transport import Connection, Disconnected

ToAgent = asyncio.Queue[protocol.BackendMessage | None]  # None: the hub side has closed
ToHub = asyncio.Queue[protocol.AgentMessage]


class InProcessConnection:
    """Typed messages handed over as they are: no JSON in between."""

    def __init__(self, to_agent: ToAgent, to_hub: ToHub) -> None:
        self._to_agent = to_agent
        self._to_hub = to_hub
        self.server: asyncio.Task[None] | None = None
        self.closed = False

    async def send(self, message: protocol.AgentMessage) -> None:
        if self.closed or (self.server is not None and self.server.done()):
            raise Disconnected("in-process hub connection closed")
        await self._to_hub.put(message)

    async def receive(self) -> protocol.BackendMessage:
        message = await self._to_agent.get()
        if message is None:
            raise Disconnected("in-process hub connection closed")
        return message

    async def close(self) -> None:
        self.closed = True
        if self.server is not None:
            self.server.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.server


class InProcessTransport:
    def __init__(self, hub: Hub, identity: AgentIdentity) -> None:
        self.hub = hub
        self.identity = identity

    async def connect(self) -> Connection:
        to_agent: ToAgent = asyncio.Queue()
        to_hub: ToHub = asyncio.Queue()
        conn = InProcessConnection(to_agent, to_hub)

        async def serve() -> None:
            try:
                await serve_agent(self.hub, self.identity, to_hub.get, to_agent.put)
            finally:
                to_agent.put_nowait(None)

        conn.server = asyncio.create_task(serve())
        return conn
