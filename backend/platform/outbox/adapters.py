"""The adapter registry: how a destination of each kind is delivered to.

A dict keyed by the destination's kind, no plugin machinery. The built-in kinds (webhook, csv,
amqp) use the adapters of ``integrations/``; ``pull`` needs none (the receiver fetches the
feed). An adapter takes what the message's topic decodes to (``topics.py``) and reports a
``DeliveryResult``; it never raises for a failed delivery. Another kind: ``register_adapter``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from backend.platform.errors import BadRequest
from backend.platform.outbox.models import Destination
from backend.platform.outbox.schemas import AmqpConfig, CsvConfig, WebhookConfig
from backend.platform.settings import get_settings
from integrations.amqp import AmqpAdapter
from integrations.base import DeliveryResult
from integrations.csv_rpa import CsvAdapter
from integrations.webhook import WebhookAdapter


class Adapter(Protocol):
    def deliver(self, message: Any, /) -> DeliveryResult: ...


AdapterFactory = Callable[[Destination], Adapter]


def _webhook(destination: Destination) -> Adapter:
    config = WebhookConfig.model_validate(destination.config)
    if not destination.secret:
        raise BadRequest("Webhook の署名鍵が設定されていません。", code="destination_invalid")
    return WebhookAdapter(config.url, destination.secret, destination.timeout_seconds)


def _csv(destination: Destination) -> Adapter:
    config = CsvConfig.model_validate(destination.config)
    folder = Path(config.folder)
    if not folder.is_absolute():
        folder = get_settings().data_dir / folder
    return CsvAdapter(
        folder=folder,
        encoding=config.encoding,
        delimiter="\t" if config.delimiter == "tab" else ",",
        substitutions=config.substitutions,
        replacement=config.replacement,
    )


def _amqp(destination: Destination) -> Adapter:
    config = AmqpConfig.model_validate(destination.config)
    return AmqpAdapter(
        url=config.url,
        exchange=config.exchange,
        routing_key=config.routing_key,
        queue=config.queue,
        timeout_seconds=destination.timeout_seconds,
    )


ADAPTER_FACTORIES: dict[str, AdapterFactory] = {
    "webhook": _webhook,
    "csv": _csv,
    "amqp": _amqp,
}


def register_adapter(kind: str, factory: AdapterFactory) -> None:
    """Deliver destinations of ``kind`` with the adapter ``factory(destination)`` builds."""
    ADAPTER_FACTORIES[kind] = factory


def adapter_for(destination: Destination) -> Adapter:
    factory = ADAPTER_FACTORIES.get(destination.kind)
    if factory is None:
        raise BadRequest(f"未対応の連携方式です: {destination.kind}", code="destination_invalid")
    return factory(destination)
