"""Signed webhooks in the Standard Webhooks style (https://www.standardwebhooks.com/).

Headers: ``webhook-id`` (the idempotency key: the same on every retry), ``webhook-timestamp``
(Unix seconds, so the receiver can refuse replays) and ``webhook-signature`` =
``v1,`` + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}")).
A secret given as ``whsec_<base64>`` is base64-decoded first, as the standard says; any other
secret is used as its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

from contracts.handoff import Handoff
from contracts.workitem import WorkItemEvent
from integrations.base import DeliveryResult, canonical_body

DEFAULT_TOLERANCE_SECONDS = 300
# A receiver that answers these may succeed later; other 4xx mean the payload itself is refused.
_RETRYABLE_4XX = frozenset({408, 409, 423, 425, 429})


def secret_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(
    secret: str, msg_id: str, body: bytes, now: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if now is None else now
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json; charset=utf-8",
    }


class SignatureError(Exception):
    pass


def verify(
    secret: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now: int | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Receiver side: raise SignatureError unless the headers sign ``body`` recently enough."""
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        msg_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        signatures = lowered["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise SignatureError("missing or malformed webhook headers") from exc
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance (replay?)")
    expected = sign(secret, msg_id, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("no matching signature")


_client: httpx.Client | None = None


def _shared_client() -> httpx.Client:
    """One connection pool per process: building a client (and its TLS context) per POST
    costs tens of milliseconds."""
    global _client
    if _client is None:
        _client = httpx.Client(follow_redirects=False)
    return _client


@dataclass(frozen=True)
class WebhookAdapter:
    url: str
    secret: str
    timeout_seconds: float = 10.0

    def deliver(self, handoff: Handoff | WorkItemEvent) -> DeliveryResult:
        body = canonical_body(handoff)
        headers = signature_headers(self.secret, handoff.idempotency_key, body)
        try:
            response = _shared_client().post(
                self.url, content=body, headers=headers, timeout=self.timeout_seconds
            )
        except httpx.TimeoutException:
            return DeliveryResult(False, f"timeout after {self.timeout_seconds:g}s")
        except httpx.HTTPError as exc:
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return DeliveryResult(True, f"HTTP {status}")
        retryable = status >= 500 or status in _RETRYABLE_4XX
        return DeliveryResult(False, f"HTTP {status}: {response.text[:200]}", retryable=retryable)
