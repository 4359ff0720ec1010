"""A lean HTTP/1.1 client for the load generator's screens.

The load generator runs on the node it measures, so every CPU-second it spends is taken from
the server under test: with httpx (pure-Python request building, h11 parsing, its transport
layers) the generator spent ≈0.08 CPU-seconds a visit, a quarter of the server's own. This
client does only what the screens need — keep-alive connections with TCP_NODELAY, JSON bodies,
a cookie jar for the staff session, Content-Length and chunked answers — and parses with
``httptools`` (the C parser uvicorn uses), so the generator stays out of the figures' way.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import socket
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import httptools


class HttpError(Exception):
    """The request got no complete answer (connection refused, reset, timed out, malformed)."""


class Reply:
    """A complete answer: status, headers (lower-case names), body."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class _Answer:
    """httptools callbacks collecting one response."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.cookies: list[str] = []
        self.body: list[bytes] = []
        self.complete = False
        self._name = b""

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        if key == "set-cookie":
            self.cookies.append(text)
        self.headers[key] = text

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def close(self) -> None:
        self.writer.close()


class LeanClient:
    """Keep-alive connections to one server; idle ones dropped after ``keepalive_seconds``."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 90.0,
        keepalive_seconds: float = 4.0,
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = {"host": parts.netloc, **(headers or {})}
        self.timeout = timeout
        self.keepalive_seconds = keepalive_seconds
        self.cookies: dict[str, str] = {}
        self._idle: list[_Connection] = []

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        target = f"{path}?{urlencode(params)}" if params else path
        body = b"" if json is None else jsonlib.dumps(json).encode("utf-8")
        sent = {**self.headers, **(headers or {})}
        if json is not None:
            sent["content-type"] = "application/json"
        if body or method in ("POST", "PUT", "PATCH"):
            sent["content-length"] = str(len(body))
        if self.cookies:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in sent.items())
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the answer does (python/cpython#86296), and a screen's loop
            # cancelled at the end of a run then went on polling (the 90 s drain stalls).
            async with asyncio.timeout(self.timeout):
                return await self._exchange(head.encode("latin-1") + b"\r\n" + body)
        except (OSError, TimeoutError, httptools.HttpParserError, EOFError) as exc:
            raise HttpError(f"{method} {path}: {type(exc).__name__}") from exc

    async def get(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return await self.request("GET", path, params=params, headers=headers)

    async def _exchange(self, raw: bytes) -> Reply:
        connection = await self._connection()
        try:
            connection.writer.write(raw)
            answer = _Answer()
            parser = httptools.HttpResponseParser(answer)
            while not answer.complete:
                chunk = await connection.reader.read(65536)
                if not chunk:
                    raise EOFError("connection closed before the answer was complete")
                parser.feed_data(chunk)
        except BaseException:
            connection.close()
            raise
        self._keep_cookies(answer.cookies)
        # httptools still says keep-alive after a complete "connection: close" answer: ask the
        # header itself.
        if answer.headers.get("connection", "").lower() != "close":
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        return Reply(parser.get_status_code(), answer.headers, b"".join(answer.body))

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.idle_since < self.keepalive_seconds:
                return connection
            connection.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(reader, writer)

    def _keep_cookies(self, cookies: list[str]) -> None:
        for cookie in cookies:
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            if value and "max-age=0" not in attributes.lower().replace(" ", ""):
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)

    async def aclose(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
