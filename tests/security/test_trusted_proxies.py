"""``X-Forwarded-For`` is believed only from ``MADOGUCHI_TRUSTED_PROXIES`` (default: nobody).

uvicorn alone trusts 127.0.0.1: a process on the server, or a misconfigured local proxy, could
then choose the address the per-source login limit counts by.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.identity import throttle
from backend.platform.settings import Settings, get_settings, parse_trusted_proxies
from backend.seed import DEMO_TENANT_CODE, seed_demo


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(get_settings(), "trusted_proxies", "10.0.0.0/8, 192.0.2.1")
    yield


def test_no_proxy_trusted_by_default() -> None:
    assert Settings().trusted_proxies == ""
    assert throttle.forwarded_client("127.0.0.1", ["203.0.113.7"], []) == "127.0.0.1"


def test_only_a_trusted_peer_may_name_the_client() -> None:
    proxies = parse_trusted_proxies("10.0.0.0/8, 192.0.2.1")
    assert throttle.forwarded_client("192.0.2.1", ["203.0.113.7"], proxies) == "203.0.113.7"
    assert throttle.forwarded_client("10.9.8.7", ["203.0.113.7"], proxies) == "203.0.113.7"
    # a peer outside the list: its header is ignored
    assert throttle.forwarded_client("198.51.100.4", ["203.0.113.7"], proxies) == "198.51.100.4"
    # what the client wrote itself sits left of what the proxy appended: never believed
    hops = ["6.6.6.6, 203.0.113.7", "10.0.0.2"]
    assert throttle.forwarded_client("10.0.0.1", hops, proxies) == "203.0.113.7"
    assert throttle.forwarded_client("10.0.0.1", [], proxies) == "10.0.0.1"


def test_bad_proxy_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example")


def _attempt(client: TestClient, username: str, forwarded_for: str) -> int:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": "wrong"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def test_login_limit_ignores_forwarded_for_from_an_untrusted_peer(
    client: TestClient, db: Session
) -> None:
    seed_demo(db)
    local = TestClient(client.app, client=("127.0.0.1", 40000))
    for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
        assert _attempt(local, f"guess{i}", f"203.0.113.{i}") == 401
    assert _attempt(local, "another", "203.0.113.200") == 429


def test_login_limit_counts_the_client_behind_a_trusted_proxy(
    client: TestClient, db: Session, trusted: None
) -> None:
    seed_demo(db)
    proxy = TestClient(client.app, client=("10.0.0.5", 40000))
    for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
        assert _attempt(proxy, f"guess{i}", "6.6.6.6, 203.0.113.9") == 401
    assert _attempt(proxy, "another", "203.0.113.9") == 429
    # another resident's address behind the same proxy is not blocked
    assert _attempt(proxy, "another", "203.0.113.10") == 401


def _serve_options(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from backend.cli import build_app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    root = logging.getLogger()
    # serve configures logging to the runner's stderr, closed afterwards: put the handlers back
    monkeypatch.setattr(root, "handlers", root.handlers[:])
    result = CliRunner().invoke(build_app(), ["serve"])
    assert result.exit_code == 0, result.output
    return {k: v for k, v in seen.items() if k not in ("host", "port", "workers", "factory")}


def _client_seen_by_app(options: dict[str, Any], peer: str, forwarded_for: str) -> Any:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"]

    options = {k: v for k, v in options.items() if k != "log_config"}
    config = uvicorn.Config(app, log_config=None, **options)
    config.load()
    scope = {
        "type": "http",
        "client": (peer, 1234),
        "scheme": "http",
        "headers": [(b"x-forwarded-for", forwarded_for.encode())],
    }
    # In a thread of its own: the e2e tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, config.loaded_app(scope, None, None)).result()
    return seen["client"][0]


def test_serve_trusts_no_forwarded_for_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    options = _serve_options(monkeypatch)
    assert _client_seen_by_app(options, "127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_serve_trusts_the_configured_proxies(
    monkeypatch: pytest.MonkeyPatch, trusted: None
) -> None:
    options = _serve_options(monkeypatch)
    assert _client_seen_by_app(options, "10.1.2.3", "6.6.6.6, 203.0.113.7") == "203.0.113.7"
    assert _client_seen_by_app(options, "127.0.0.1", "203.0.113.7") == "127.0.0.1"
