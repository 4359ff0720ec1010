"""The agent inside the backend process (single-PC installs, ``make run``).

The same agent client and the same hub connection code as over a WebSocket, joined by two
asyncio queues instead of a socket.
"""

from __future__ import annotations

import asyncio
import contextlib

from backend.platform.agentlink.connection import serve_agent
from backend.platform.agentlink.hub import AgentIdentity, Hub
from contracts.agent import Message
from hardware.agent.transport import Connection, Disconnected

_CLOSED: Message = {"type": "__closed__"}


class InProcessConnection:
    def __init__(self, to_agent: asyncio.Queue[Message], to_hub: asyncio.Queue[Message]) -> None:
        self._to_agent = to_agent
        self._to_hub = to_hub
        self.server: asyncio.Task[None] | None = None
        self.closed = False

    async def send(self, message: Message) -> None:
        if self.closed or (self.server is not None and self.server.done()):
            raise Disconnected("in-process hub connection closed")
        await self._to_hub.put(message)

    async def receive(self) -> Message:
        message = await self._to_agent.get()
        if message is _CLOSED:
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
        to_agent: asyncio.Queue[Message] = asyncio.Queue()
        to_hub: asyncio.Queue[Message] = asyncio.Queue()
        conn = InProcessConnection(to_agent, to_hub)

        async def serve() -> None:
            try:
                await serve_agent(self.hub, self.identity, to_hub.get, to_agent.put)
            finally:
                to_agent.put_nowait(_CLOSED)

        conn.server = asyncio.create_task(serve())
        return conn
