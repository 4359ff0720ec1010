"""Hardening for every response and request: security headers and request size limits.

Pure ASGI middleware (no BaseHTTPMiddleware): bodies stream through untouched, and a body that
grows past its limit is refused with 413 in the project's error shape before a route sees it.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"

DEFAULT_BODY_LIMIT = 2 * 1024 * 1024
UPLOAD_BODY_LIMIT = 20 * 1024 * 1024
# Routes whose path contains one of these take uploads (scans, PDFs, signature images).
UPLOAD_PATH_MARKERS = ("/upload", "/documents", "/attachments")

_STATIC_HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(self), microphone=(), geolocation=()"),
)


def _is_https(scope: Scope) -> bool:
    # Behind the municipality's TLS terminator, uvicorn's --proxy-headers sets the scheme.
    return scope.get("scheme") in ("https", "wss")


def body_limit_for(path: str) -> int:
    return UPLOAD_BODY_LIMIT if any(m in path for m in UPLOAD_PATH_MARKERS) else DEFAULT_BODY_LIMIT


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = _is_https(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _STATIC_HEADERS:
                    headers.setdefault(name, value)
                if https:
                    headers.setdefault("strict-transport-security", HSTS)
                if scope["path"].startswith("/api/"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        overflow = False

        async def limited_receive() -> Message:
            # Past the limit the app sees a disconnect (whatever it makes of that, its answer
            # is replaced by our 413 below), so no route ever holds an oversized body.
            nonlocal received, overflow
            if overflow:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not overflow:
                await send(message)
            elif message["type"] == "http.response.start":
                await _refuse(send, limit)

        await self.app(scope, limited_receive, guarded_send)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "payload_too_large",
                "message": f"送信されたデータが大きすぎます（上限 {limit // (1024 * 1024)} MiB）。",
            }
        },
        ensure_ascii=False,
    ).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    """Add both middlewares to a FastAPI/Starlette app (headers outermost, so 413s carry them)."""
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
