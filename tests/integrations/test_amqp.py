"""AMQP against the real RabbitMQ at 127.0.0.1:5672 (required under CI)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

import pika
import pika.exceptions
import pytest

from contracts.handoff import Handoff
from integrations.amqp import AmqpAdapter

URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture
def channel(
    require_service: Callable[[bool, str], None],
) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    try:
        connection = pika.BlockingConnection(pika.URLParameters(URL + "?socket_timeout=3"))
    except pika.exceptions.AMQPError as exc:
        require_service(False, f"RabbitMQ at 127.0.0.1:5672 is unreachable: {exc!r}")
        return
    yield connection.channel()
    connection.close()


def test_persistent_message_with_confirm_reaches_the_queue(
    channel: pika.adapters.blocking_connection.BlockingChannel,
    make_handoff: Callable[..., Handoff],
) -> None:
    queue = f"madoguchi-test-{uuid.uuid4().hex[:8]}"
    handoff = make_handoff()
    adapter = AmqpAdapter(URL, routing_key=queue, queue=queue, timeout_seconds=5)
    try:
        result = adapter.deliver(handoff)
        assert result.ok, result.detail
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        assert method is not None
        assert properties.delivery_mode == 2
        assert properties.message_id == handoff.idempotency_key
        assert json.loads(body) == handoff.to_json_dict()
    finally:
        channel.queue_delete(queue)


def test_unroutable_message_is_a_failure_not_a_silent_drop(
    channel: pika.adapters.blocking_connection.BlockingChannel,
    make_handoff: Callable[..., Handoff],
) -> None:
    adapter = AmqpAdapter(URL, routing_key=f"nowhere-{uuid.uuid4().hex[:8]}")
    result = adapter.deliver(make_handoff())
    assert not result.ok and "unroutable" in result.detail


def test_broker_unreachable_is_a_retryable_failure(make_handoff: Callable[..., Handoff]) -> None:
    adapter = AmqpAdapter("amqp://guest:guest@127.0.0.1:1/%2F", routing_key="x", timeout_seconds=1)
    result = adapter.deliver(make_handoff())
    assert not result.ok and result.retryable
