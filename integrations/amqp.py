"""AMQP 0-9-1 (RabbitMQ) with pika: persistent messages, publisher confirms.

One connection per delivery (the worker's rate is small, and a broken connection never
lingers). With confirms on, ``basic_publish`` returns only after the broker has taken the
message; ``mandatory=True`` turns "no queue bound" into a failure instead of a silent drop.
When ``queue`` is set, it is declared durable and bound, so the message has somewhere to go.
"""

from __future__ import annotations

from dataclasses import dataclass

import pika
import pika.exceptions

from contracts.handoff import Handoff
from contracts.workitem import WorkItemEvent
from integrations.base import DeliveryResult, canonical_body


@dataclass(frozen=True)
class AmqpAdapter:
    url: str  # amqp://guest:guest@127.0.0.1:5672/%2F
    routing_key: str
    exchange: str = ""
    queue: str | None = None
    timeout_seconds: float = 10.0

    def _parameters(self) -> pika.URLParameters:
        params = pika.URLParameters(self.url)
        params.socket_timeout = self.timeout_seconds
        params.blocked_connection_timeout = self.timeout_seconds
        params.connection_attempts = 1
        return params

    def deliver(self, handoff: Handoff | WorkItemEvent) -> DeliveryResult:
        try:
            connection = pika.BlockingConnection(self._parameters())
        except pika.exceptions.AMQPError as exc:
            return DeliveryResult(False, f"cannot connect to the broker: {type(exc).__name__}")
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            if self.queue:
                channel.queue_declare(self.queue, durable=True)
                if self.exchange:
                    channel.queue_bind(self.queue, self.exchange, routing_key=self.routing_key)
            channel.basic_publish(
                exchange=self.exchange,
                routing_key=self.routing_key,
                body=canonical_body(handoff),
                properties=pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=handoff.idempotency_key,
                    type=handoff.schema_,
                    headers={"version": handoff.version, "visit_id": handoff.visit_id},
                ),
                mandatory=True,
            )
        except pika.exceptions.UnroutableError:
            return DeliveryResult(False, "unroutable: no queue bound to the routing key")
        except pika.exceptions.NackError:
            return DeliveryResult(False, "the broker refused the message (nack)")
        except pika.exceptions.AMQPError as exc:
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}")
        finally:
            if connection.is_open:
                connection.close()
        return DeliveryResult(
            True, f"confirmed by the broker ({self.exchange or '(default)'} → {self.routing_key})"
        )
