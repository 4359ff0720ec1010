"""How the agent reaches the backend: a WebSocket it opens itself (outbound only).

A transport makes connections; a connection sends and receives typed messages
(``contracts.agent``) and raises ``Disconnected`` when the link is gone, or
``contracts.agent.ProtocolError`` for one message it cannot read. The backend provides an
in-process transport of its own for single-PC installs (``backend.platform.agentlink.inprocess``).
"""

from __future__ import annotations

from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

import contracts.agent as protocol


class Disconnected(Exception):
    """The connection to the backend is gone (or could not be made)."""


class TokenRefused(Disconnected):
    """The backend refused the device token: pair the device again."""


class Connection(Protocol):
    async def send(self, message: protocol.AgentMessage) -> None: ...

    async def receive(self) -> protocol.BackendMessage: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    async def connect(self) -> Connection: ...


def websocket_url(backend: str) -> str:
    """``http(s)://host[:port]`` → the agent endpoint's ``ws(s)://`` URL."""
    base = backend.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    return base + "/api/v1/agent/ws"


class WebSocketConnection:
    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket

    async def send(self, message: protocol.AgentMessage) -> None:
        try:
            await self._socket.send(protocol.encode(message))
        except (ConnectionClosed, OSError) as exc:
            raise Disconnected(str(exc)) from exc

    async def receive(self) -> protocol.BackendMessage:
        try:
            raw = await self._socket.recv()
        except (ConnectionClosed, OSError) as exc:
            raise Disconnected(str(exc)) from exc
        return protocol.parse_from_backend(raw)

    async def close(self) -> None:
        await self._socket.close()


class WebSocketTransport:
    def __init__(self, backend: str, token: str, *, open_timeout: float = 10.0) -> None:
        self.url = websocket_url(backend)
        self._token = token
        self._open_timeout = open_timeout

    async def connect(self) -> Connection:
        try:
            socket = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self._token}"},
                open_timeout=self._open_timeout,
                ping_interval=10,
                ping_timeout=10,
                max_size=32 * 1024 * 1024,
            )
        except InvalidStatus as exc:
            if exc.response.status_code in (401, 403):
                raise TokenRefused("the backend refused this device's token") from exc
            raise Disconnected(f"backend answered {exc.response.status_code}") from exc
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise Disconnected(str(exc) or type(exc).__name__) from exc
        return WebSocketConnection(socket)
