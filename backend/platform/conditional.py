"""Conditional GETs for the answers screens poll: a strong ``ETag``, and ``304 Not Modified``
(no body) when the caller's ``If-None-Match`` names it.

The tablet asks what to show every second for the whole visit, the staff console asks whether
the resident has signed every 1.5 s and whether its devices are there every 3 s: nearly every
answer is the one before. The route authenticates the caller first, as always (a revoked
device or an expired session gets 401, never 304), then derives the ETag from what the answer
is made of and builds and sends the answer only when the caller does not already hold it.

``Cache-Control`` tells the browser what to do with the answer:

- ``no-cache`` (no personal data): the browser may keep it and must ask again each time; its
  ``fetch()`` sends ``If-None-Match`` by itself and turns a 304 into the kept 200, so the
  screen's code sees an ordinary answer;
- ``no-store`` (personal data, like every other API answer: docs/security.md): the browser
  never writes it down; the screen keeps the last answer in memory and sends its ETag itself
  (``fetch()`` then hands the 304 to the script).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request, Response
from pydantic import BaseModel

NO_CACHE = "no-cache"
NO_STORE = "no-store"


def strong_etag(*parts: str | bytes) -> str:
    """A strong entity tag: a digest of ``parts`` (no personal data in the header)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return f'"{digest.hexdigest()[:32]}"'


def not_modified(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (or is ``*``). Compared weakly, as RFC 9110
    §13.1.2 asks: a proxy may have marked our tag ``W/``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


def answer(
    request: Request, etag: str, body: Callable[[], bytes | str], cache_control: str
) -> Response:
    """304 (``body`` not even built) when the caller holds ``etag``, else the JSON ``body``."""
    headers = {"etag": etag, "cache-control": cache_control}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body(), media_type="application/json", headers=headers)


def answer_model(request: Request, model: BaseModel, cache_control: str) -> Response:
    """For a small answer that is its own version: the ETag is the digest of its JSON."""
    body = to_json(model)
    return answer(request, strong_etag(body), lambda: body, cache_control)


def to_json(model: BaseModel) -> bytes:
    # by_alias: as FastAPI serialises a route's response_model.
    return model.model_dump_json(by_alias=True).encode()
