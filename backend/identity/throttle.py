"""Login throttling per client address and per account name, on top of the account lockout.

The lockout (``backend.identity.auth.service``) protects one existing account; this protects against
spraying many names from one address and against guessing names that do not exist. Failures
are counted in memory in a sliding window: right for the single backend process madoguchi runs
per municipality (``madoguchi serve`` with one worker). With several processes each keeps its
own count, so the effective limit multiplies by the number of processes (documented in
docs/security.md).

The address counted is the peer's, unless the peer is one of ``MADOGUCHI_TRUSTED_PROXIES``:
then ``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the first other
address is the client (what a client writes itself sits further left and is never believed).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from starlette.requests import HTTPConnection

from backend.platform.errors import MadoguchiError
from backend.platform.settings import IPNetwork, get_settings

WINDOW_SECONDS = 300.0
MAX_FAILURES_PER_ADDRESS = 20
MAX_FAILURES_PER_USERNAME = 10


class LoginThrottled(MadoguchiError):
    status_code = 429
    code = "login_throttled"
    default_message = "ログインの失敗が続いています。しばらく待ってからお試しください。"


class FailureWindow:
    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return deque()
        return failures

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def fail(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class LoginThrottle:
    def __init__(self) -> None:
        self.by_address = FailureWindow(MAX_FAILURES_PER_ADDRESS)
        self.by_username = FailureWindow(MAX_FAILURES_PER_USERNAME)

    @staticmethod
    def username_key(tenant_code: str, username: str) -> str:
        return f"{tenant_code}/{username.casefold()}"

    def check(self, address: str, tenant_code: str, username: str) -> None:
        if self.by_address.blocked(address) or self.by_username.blocked(
            self.username_key(tenant_code, username)
        ):
            raise LoginThrottled()

    def failed(self, address: str, tenant_code: str, username: str) -> None:
        self.by_address.fail(address)
        self.by_username.fail(self.username_key(tenant_code, username))

    def succeeded(self, tenant_code: str, username: str) -> None:
        self.by_username.clear(self.username_key(tenant_code, username))

    def reset(self) -> None:
        self.by_address = FailureWindow(MAX_FAILURES_PER_ADDRESS)
        self.by_username = FailureWindow(MAX_FAILURES_PER_USERNAME)


login_throttle = LoginThrottle()
# Device pairing codes: 10 wrong codes per address per window.
pairing_throttle = FailureWindow(limit=10)


def reset_all() -> None:
    """Forget every count (tests; an operator restarting the process does the same)."""
    login_throttle.reset()
    with pairing_throttle._lock:
        pairing_throttle._failures.clear()


def _trusted(address: str, proxies: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def forwarded_client(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]
) -> str:
    """The client's address: the peer's, or, from a trusted proxy, the rightmost address of
    ``X-Forwarded-For`` that is not itself a trusted proxy."""
    if peer is None:
        return "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def client_address(connection: HTTPConnection) -> str:
    """The address the login and pairing limits count by (``MADOGUCHI_TRUSTED_PROXIES``)."""
    peer = connection.client.host if connection.client else None
    forwarded_for = connection.headers.getlist("x-forwarded-for")
    return forwarded_client(peer, forwarded_for, get_settings().trusted_proxy_networks)
