"""Login throttling per client address and per account name, on top of the account lockout.

The lockout (``backend.identity.auth.service``) protects one existing account; this protects against
spraying many names from one address and against guessing names that do not exist. Failures
are rows of ``login_failures`` counted in a sliding window, so every backend replica counts the
same failures (the limit does not multiply with the number of processes). A row holds an HMAC
of the address or name (keyed with ``MADOGUCHI_SECRET_KEY``), never the address or name itself,
and is deleted once the window has passed.

A failure is recorded with ``uow.keep``: the request that failed rolls back, its count stays.

The address counted is the peer's, unless the peer is one of ``MADOGUCHI_TRUSTED_PROXIES``:
then ``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the first other
address is the client (what a client writes itself sits further left and is never believed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Sequence

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.requests import HTTPConnection

from backend.platform import uow
from backend.platform.db import Base, IdMixin, utcnow
from backend.platform.errors import MadoguchiError
from backend.platform.settings import IPNetwork, get_settings

WINDOW_SECONDS = 300.0
MAX_FAILURES_PER_ADDRESS = 20
MAX_FAILURES_PER_USERNAME = 10


class LoginFailure(IdMixin, Base):
    """One failed login or pairing attempt, for the sliding-window limits (no tenant: an
    address sprays across municipalities)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_scope_key", "scope", "key_digest", "failed_at"),)

    scope: Mapped[str] = mapped_column(String(16), comment="address, username or pairing")
    key_digest: Mapped[str] = mapped_column(
        String(64), comment="HMAC-SHA256 of the address or tenant/name, never the value"
    )
    failed_at: Mapped[dt.datetime] = mapped_column(index=True)


class LoginThrottled(MadoguchiError):
    status_code = 429
    code = "login_throttled"
    default_message = "ログインの失敗が続いています。しばらく待ってからお試しください。"


def _digest(scope: str, key: str) -> str:
    secret = get_settings().secret_key.encode("utf-8")
    return hmac.new(secret, f"{scope}\n{key}".encode(), hashlib.sha256).hexdigest()


class FailureWindow:
    """At most ``limit`` failures per key within ``window`` seconds, counted in the database."""

    def __init__(
        self,
        scope: str,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.scope, self.limit, self.window, self.clock = scope, limit, window, clock

    def _since(self) -> dt.datetime:
        return self.clock() - dt.timedelta(seconds=self.window)

    def blocked(self, session: Session, key: str) -> bool:
        count = session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(
                LoginFailure.scope == self.scope,
                LoginFailure.key_digest == _digest(self.scope, key),
                LoginFailure.failed_at > self._since(),
            )
        )
        return int(count or 0) >= self.limit

    def fail(self, session: Session, key: str) -> None:
        """Count a failure; kept even though the failing request rolls back."""
        digest, now, since = _digest(self.scope, key), self.clock(), self._since()
        scope = self.scope

        def write(target: Session) -> None:
            target.execute(
                delete(LoginFailure).where(
                    LoginFailure.scope == scope, LoginFailure.failed_at <= since
                )
            )
            target.add(LoginFailure(scope=scope, key_digest=digest, failed_at=now))
            target.flush()

        uow.keep(session, write)

    def clear(self, session: Session, key: str) -> None:
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.scope == self.scope,
                LoginFailure.key_digest == _digest(self.scope, key),
            )
        )


class LoginThrottle:
    def __init__(self) -> None:
        self.by_address = FailureWindow("address", MAX_FAILURES_PER_ADDRESS)
        self.by_username = FailureWindow("username", MAX_FAILURES_PER_USERNAME)

    @staticmethod
    def username_key(tenant_code: str, username: str) -> str:
        return f"{tenant_code}/{username.casefold()}"

    def check(self, session: Session, address: str, tenant_code: str, username: str) -> None:
        if self.by_address.blocked(session, address) or self.by_username.blocked(
            session, self.username_key(tenant_code, username)
        ):
            raise LoginThrottled()

    def failed(self, session: Session, address: str, tenant_code: str, username: str) -> None:
        self.by_address.fail(session, address)
        self.by_username.fail(session, self.username_key(tenant_code, username))

    def succeeded(self, session: Session, tenant_code: str, username: str) -> None:
        self.by_username.clear(session, self.username_key(tenant_code, username))


login_throttle = LoginThrottle()
# Device pairing codes: 10 wrong codes per address per window.
pairing_throttle = FailureWindow("pairing", limit=10)


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
