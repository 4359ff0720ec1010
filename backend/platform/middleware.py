"""Hardening for every response and request: security headers, request size limits, and the
refusal of bad input before any route or parser sees it.

Pure ASGI middleware (no BaseHTTPMiddleware): bodies stream through untouched, and a body that
grows past its limit is refused with 413 in the project's error shape before a route sees it.
A JSON body nested too deeply, or a path, query or JSON string carrying a character no name or
note may hold (NUL and other control characters, lone surrogates, bidirectional overrides), is
refused with 422 naming the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import QueryParams
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.parse_limits import MAX_INT_DIGITS, DocumentRefused, ParseLimits, check_json

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


def _encoded(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers)


# Encoded once: every response adds the ones its route did not set itself.
_STATIC_RAW = _encoded(_STATIC_HEADERS)
_HSTS_RAW = _encoded((("strict-transport-security", HSTS),))
_NO_STORE_RAW = _encoded((("cache-control", "no-store"),))


def _is_https(scope: Scope) -> bool:
    # Behind the municipality's TLS terminator, uvicorn's --proxy-headers sets the scheme.
    return scope.get("scheme") in ("https", "wss")


def body_limit_for(path: str) -> int:
    for marker in UPLOAD_PATH_MARKERS:
        if marker in path:
            return UPLOAD_BODY_LIMIT
    return DEFAULT_BODY_LIMIT


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The value of a request header (``name`` lower-case; the last one when repeated)."""
    found = None
    for key, value in scope.get("headers") or ():
        if key == name:
            found = value
    return found


def with_security_headers(
    headers: list[tuple[bytes, bytes]], *, https: bool, api: bool
) -> list[tuple[bytes, bytes]]:
    """``headers`` (a response's raw list) plus every security header it does not set itself,
    in a fixed order: a header the route chose (a download's own cache-control) is kept."""
    present = {name for name, _ in headers}
    added = [header for header in _STATIC_RAW if header[0] not in present]
    if https and _HSTS_RAW[0][0] not in present:
        added.extend(_HSTS_RAW)
    if api and _NO_STORE_RAW[0][0] not in present:
        added.extend(_NO_STORE_RAW)
    return [*headers, *added]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = _is_https(scope)
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(
                    list(message.get("headers") or ()), https=https, api=api
                )
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
        declared = _header(scope, b"content-length")
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
    message = f"送信されたデータが大きすぎます（上限 {limit // (1024 * 1024)} MiB）。"
    await _send_error(send, 413, {"code": "payload_too_large", "message": message})


async def _send_error(send: Send, status: int, error: dict[str, Any]) -> None:
    body = json.dumps({"error": error}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- bad characters and deep JSON ---------------------------------------------------------

# NUL and the other C0/C1 controls (tab, line feed and carriage return stay allowed), lone
# surrogates (JSON can carry them, UTF-8 and PostgreSQL cannot), and the bidirectional
# embeddings, overrides and isolates that make a name display as something else.
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# JSON escapes that can produce a forbidden character (\b, \f, \uXXXX): a body with none of
# them and no raw forbidden character cannot hold one in any string, so it is not parsed here
# (FastAPI parses it anyway; the common body is parsed once, not twice).
_FORBIDDEN_ESCAPE = re.compile(rb"\\[bfu]")
# Refused JSON bodies are never parsed; this bounds the walk of the ones that are.
JSON_BODY_LIMITS = ParseLimits(max_bytes=UPLOAD_BODY_LIMIT, max_depth=64)
MAX_REPORTED_FIELDS = 20


def forbidden_character(text: str) -> str | None:
    """``U+XXXX`` of the first character a text field must not hold, or None."""
    found = FORBIDDEN_CHARACTERS.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _field_problem(field: str, character: str) -> dict[str, str]:
    return {"field": field, "message": f"使用できない文字 ({character}) が含まれています。"}


def _validation_failed(fields: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "code": "validation_failed",
        "message": "入力内容を確認してください。",
        "fields": fields[:MAX_REPORTED_FIELDS],
    }


class _PathTemplates:
    """The app's path templates (from its OpenAPI document, built once on first use), to name
    the path parameter that holds a bad character."""

    def __init__(self, app: FastAPI | None) -> None:
        self.app = app
        self.compiled: list[re.Pattern[str]] | None = None

    def parameters(self, path: str) -> dict[str, str]:
        if self.app is None:
            return {}
        if self.compiled is None:
            templates = sorted(self.app.openapi().get("paths", {}))
            self.compiled = [compile_path(template)[0] for template in templates]
        for pattern in self.compiled:
            match = pattern.match(path)
            if match:
                return match.groupdict()
        return {}


def _path_problems(scope: Scope, templates: _PathTemplates) -> list[dict[str, str]]:
    character = forbidden_character(scope["path"])
    if character is None:
        return []
    names = [
        f"path.{name}"
        for name, value in templates.parameters(scope["path"]).items()
        if forbidden_character(value)
    ]
    return [_field_problem(name, character) for name in names or ["path"]]


def _query_problems(scope: Scope) -> list[dict[str, str]]:
    query = scope.get("query_string", b"")
    if b"%" not in query and forbidden_character(query.decode("latin-1")) is None:
        # Without a %-escape the parsed names and values are pieces of this text (as
        # QueryParams decodes it), so none can hold a character the text does not.
        return []
    problems = []
    for key, value in QueryParams(query).multi_items():
        character = forbidden_character(key) or forbidden_character(value)
        if character is not None:
            field = "query" if forbidden_character(key) else f"query.{key}"
            problems.append(_field_problem(field, character))
    return problems


def _is_json(scope: Scope) -> bool:
    """Whether FastAPI will parse this body as JSON: no content type, or ``application/*json``."""
    value = _header(scope, b"content-type")
    if not value:
        return True
    maintype, _, subtype = value.split(b";", 1)[0].strip().lower().partition(b"/")
    return maintype == b"application" and (subtype == b"json" or subtype.endswith(b"+json"))


def _body_problems(value: Any) -> list[dict[str, str]]:
    """Every string (and key) with a forbidden character, named as FastAPI names body fields."""
    problems: list[dict[str, str]] = []
    stack: list[tuple[str, Any]] = [("body", value)]
    while stack and len(problems) < MAX_REPORTED_FIELDS:
        path, item = stack.pop()
        if isinstance(item, str):
            character = forbidden_character(item)
            if character is not None:
                problems.append(_field_problem(path, character))
        elif isinstance(item, dict):
            for key, child in item.items():
                character = forbidden_character(key)
                if character is not None:
                    problems.append(_field_problem(path, character))
                else:
                    stack.append((f"{path}.{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{index}", child) for index, child in enumerate(item))
    return sorted(problems, key=lambda problem: problem["field"])


def _may_hold_forbidden_character(body: bytes) -> bool:
    if _FORBIDDEN_ESCAPE.search(body):
        return True
    try:
        return forbidden_character(body.decode("utf-8")) is not None
    except UnicodeDecodeError:
        return True  # not UTF-8: let the parse decide, as before


_LONG_DIGIT_RUN = re.compile(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1))


def _may_be_refused_by_limits(body: bytes) -> bool:
    """Whether ``check_json`` could refuse the body (its token walk runs in Python): only if
    the body is too large, has more brackets than the depth allowed, or a digit run longer
    than an integer may be — each counted over the whole text, strings included, so a body
    that passes these cannot fail the walk."""
    return (
        len(body) > JSON_BODY_LIMITS.max_bytes
        or body.count(b"[") + body.count(b"{") > JSON_BODY_LIMITS.max_depth
        or _LONG_DIGIT_RUN.search(body) is not None
    )


def _json_body_error(body: bytes) -> dict[str, Any] | None:
    """The error for a JSON body refused before FastAPI parses it, or None to let it through.

    Malformed JSON goes through: FastAPI reports it in its own way.
    """
    try:
        if _may_be_refused_by_limits(body):
            check_json(body, JSON_BODY_LIMITS)
    except DocumentRefused as exc:
        return {"code": exc.code, "message": exc.message}
    if not _may_hold_forbidden_character(body):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    problems = _body_problems(value)
    return _validation_failed(problems) if problems else None


class RequestGuardMiddleware:
    """Refuse bad characters in the path and query, and bad JSON bodies, with 422.

    ``api`` (the FastAPI app) lets the refusal name the path parameter with a bad character.
    """

    def __init__(self, app: ASGIApp, api: FastAPI | None = None) -> None:
        self.app = app
        self.templates = _PathTemplates(api)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems = _path_problems(scope, self.templates) + _query_problems(scope)
        if problems:
            await _send_error(send, 422, _validation_failed(problems))
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        messages, body = await _read_all(receive)
        error = _json_body_error(body) if body else None
        if error is not None:
            await _send_error(send, 422, error)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _read_all(receive: Receive) -> tuple[list[Message], bytes]:
    """Every message of the request body (a disconnect ends it), and the body's bytes.

    The size is bounded by ``BodySizeLimitMiddleware``, which runs outside this one.
    """
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, b""  # the client left (or the body was too large): no check
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def install(app: FastAPI) -> None:
    """Add the middlewares to a FastAPI/Starlette app (headers outermost, so 413s and 422s
    carry them; the request guard innermost, so it only sees bodies within the size limit)."""
    app.add_middleware(RequestGuardMiddleware, api=app)
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
