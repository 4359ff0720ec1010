"""Standard Webhooks signatures and the webhook adapter against a real loopback receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest

from contracts.handoff import Handoff
from integrations.base import canonical_body
from integrations.receiver import WebhookReceiver
from integrations.webhook import SignatureError, WebhookAdapter, sign, signature_headers, verify
from tests.helpers.net import free_port


def test_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The example of the Standard Webhooks specification and its reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_signature_is_hmac_of_id_timestamp_body() -> None:
    body = '{"名前":"窓口"}'.encode()
    digest = hmac.new(b"plain-secret", b"msg1.1700000000." + body, hashlib.sha256).digest()
    assert (
        sign("plain-secret", "msg1", 1700000000, body) == "v1," + base64.b64encode(digest).decode()
    )


def test_verify_accepts_a_good_signature_and_refuses_tampering_and_replay(
    webhook_secret: str,
) -> None:
    SECRET = webhook_secret
    body = b'{"a":1}'
    headers = signature_headers(SECRET, "key-1", body, now=1_800_000_000)
    verify(SECRET, headers, body, now=1_800_000_010)
    with pytest.raises(SignatureError):
        verify(SECRET, headers, b'{"a":2}', now=1_800_000_010)
    with pytest.raises(SignatureError):
        verify("whsec_" + base64.b64encode(b"other").decode(), headers, body, now=1_800_000_010)
    with pytest.raises(SignatureError, match="timestamp"):
        verify(SECRET, headers, body, now=1_800_000_000 + 301)
    with pytest.raises(SignatureError):
        verify(SECRET, {}, body)


def test_adapter_delivers_a_signed_body_the_receiver_verifies(
    receiver: WebhookReceiver, make_handoff: Callable[..., Handoff]
) -> None:
    SECRET = receiver.secret
    handoff = make_handoff()
    result = WebhookAdapter(receiver.url, SECRET, timeout_seconds=5).deliver(handoff)
    assert result.ok, result.detail
    stored = receiver.store.by_id[handoff.idempotency_key]
    assert stored == handoff.to_json_dict()
    assert stored["record"]["members"][0]["name"] == "窓口　太郎"
    # a retry with the same key is accepted but stored once
    assert WebhookAdapter(receiver.url, SECRET).deliver(handoff).ok
    assert len(receiver.store) == 1 and receiver.store.duplicates == 1


def test_wrong_secret_is_refused_and_not_retryable(
    receiver: WebhookReceiver, make_handoff: Callable[..., Handoff]
) -> None:
    result = WebhookAdapter(receiver.url, "whsec_" + "QUFBQQ==").deliver(make_handoff())
    assert not result.ok and not result.retryable and "401" in result.detail
    assert receiver.store.rejected == 1


def test_receiver_down_is_a_retryable_failure(
    receiver: WebhookReceiver, make_handoff: Callable[..., Handoff]
) -> None:
    SECRET = receiver.secret
    receiver.down = True
    result = WebhookAdapter(receiver.url, SECRET).deliver(make_handoff())
    assert not result.ok and result.retryable and "503" in result.detail


def test_timeout_and_refused_connection_are_retryable(
    receiver: WebhookReceiver, make_handoff: Callable[..., Handoff]
) -> None:
    SECRET = receiver.secret
    receiver.delay_seconds = 1.0
    slow = WebhookAdapter(receiver.url, SECRET, timeout_seconds=0.2).deliver(make_handoff())
    assert not slow.ok and slow.retryable and "timeout" in slow.detail
    port = free_port()
    refused = WebhookAdapter(f"http://127.0.0.1:{port}/", SECRET).deliver(make_handoff())
    assert not refused.ok and refused.retryable


def test_canonical_body_is_compact_utf8_json(make_handoff: Callable[..., Handoff]) -> None:
    body = canonical_body(make_handoff())
    assert "窓口".encode() in body and b"\\u" not in body and b", " not in body
