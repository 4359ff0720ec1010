"""The per-request shortcuts of ``backend.platform.middleware`` (issue 17) give the same answers
as the full checks they skip: security headers added once and never over a route's own, a query
without a %-escape still refused for a raw control character, and a JSON body refused for its
depth or a long number whether or not the bracket walk runs."""

from __future__ import annotations

from typing import Any

import pytest

from backend.platform import middleware
from backend.platform.middleware import (
    CONTENT_SECURITY_POLICY,
    HSTS,
    JSON_BODY_LIMITS,
    _json_body_error,
    _query_problems,
    with_security_headers,
)
from contracts.parse_limits import MAX_INT_DIGITS


def test_every_security_header_is_added_once_in_order() -> None:
    headers = with_security_headers([(b"content-type", b"application/json")], https=True, api=True)
    names = [name for name, _ in headers]
    assert names == [
        b"content-type",
        b"content-security-policy",
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"cross-origin-opener-policy",
        b"permissions-policy",
        b"strict-transport-security",
        b"cache-control",
    ]
    values = dict(headers)
    assert values[b"content-security-policy"] == CONTENT_SECURITY_POLICY.encode()
    assert values[b"strict-transport-security"] == HSTS.encode()
    assert values[b"cache-control"] == b"no-store"


def test_a_routes_own_header_is_kept_and_plain_http_gets_no_hsts() -> None:
    own = [(b"cache-control", b"private, max-age=60"), (b"x-frame-options", b"SAMEORIGIN")]
    headers = with_security_headers(list(own), https=False, api=True)
    assert [value for name, value in headers if name == b"cache-control"] == [own[0][1]]
    assert [value for name, value in headers if name == b"x-frame-options"] == [b"SAMEORIGIN"]
    assert b"strict-transport-security" not in dict(headers)
    screen = with_security_headers([], https=False, api=False)
    assert b"cache-control" not in dict(screen)


def _scope(query: bytes) -> dict[str, Any]:
    return {"type": "http", "path": "/api/v1/visits", "query_string": query}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        (b"", []),
        (b"status=open&limit=5", []),
        (b"name=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E", []),  # 山田 太郎
        (b"status=open%00", ["query.status"]),
        (b"status=open\x85", ["query.status"]),  # a raw C1 byte: no %-escape needed
        (b"st\x1batus=open", ["query"]),
        (b"a=1&b=%E2%80%AE", ["query.b"]),  # U+202E right-to-left override
    ],
)
def test_query_problems_with_and_without_escapes(query: bytes, fields: list[str]) -> None:
    assert [problem["field"] for problem in _query_problems(_scope(query))] == fields


def test_a_body_deeper_than_the_limit_is_refused_and_one_at_the_limit_passes() -> None:
    depth = JSON_BODY_LIMITS.max_depth
    at_limit = b"[" * depth + b"]" * depth
    too_deep = b"[" * (depth + 1) + b"]" * (depth + 1)
    assert _json_body_error(at_limit) is None
    error = _json_body_error(too_deep)
    assert error is not None and error["code"] == "document_too_deep"


def test_a_long_number_is_refused_but_digits_in_a_string_pass() -> None:
    digits = b"1" * (MAX_INT_DIGITS + 1)
    error = _json_body_error(b'{"copies": ' + digits + b"}")
    assert error is not None and error["code"] == "number_too_large"
    assert _json_body_error(b'{"note": "' + digits + b'"}') is None


def test_an_ordinary_body_skips_the_bracket_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk (a Python loop over every token) runs only for a body it could refuse."""
    walked: list[bytes] = []
    monkeypatch.setattr(middleware, "check_json", lambda body, _limits: walked.append(body))
    signature = b'{"strokes": [{"points": [' + b",".join([b'{"x": 1, "y": 2}'] * 40) + b"]}]}"
    assert _json_body_error(signature) is None
    assert walked == []
    deep = b"[" * 65 + b"]" * 65
    _json_body_error(deep)
    assert walked == [deep]
