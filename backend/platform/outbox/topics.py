"""What the outbox needs to know about a topic, registered by the module that owns it.

The outbox stores and delivers JSON payloads; it does not know what they mean. A domain that
sends messages registers its topic once, at import (e.g. ``backend/counter/handoff.py`` for
``handoff``):

- ``decode`` turns the stored payload into what the destination's adapter takes (the
  adapters in ``integrations/`` take a ``contracts`` model); default: the dict itself.
- ``retention`` says, per tenant, how long a delivered payload is kept before the outbox
  purges it (the row, its key and its attempts stay); ``None``: kept until replaced.
- ``key_is_visit`` puts the message key into the audit events' ``visit_id`` (the subject the
  audit trail is searched by).
- ``by_default``: every enabled destination receives the topic; otherwise only destinations
  whose ``config.topics`` name it (a receiver is never sent a payload it did not ask for).

Audit events of a message are named after its topic: ``<topic>.delivered``,
``<topic>.replayed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

Decoder = Callable[[dict[str, Any]], Any]
# (tenant id, how long delivered payloads are kept) for every tenant that has messages.
Retention = Callable[[Session], Iterable[tuple[str, dt.timedelta]]]


def _as_is(payload: dict[str, Any]) -> Any:
    return payload


@dataclass(frozen=True)
class Topic:
    name: str
    decode: Decoder = _as_is
    retention: Retention | None = None
    key_is_visit: bool = False
    by_default: bool = True

    def sent_to(self, config: dict[str, Any] | None) -> bool:
        return self.by_default or self.name in ((config or {}).get("topics") or [])

    def audit_visit_id(self, key: str | None) -> str | None:
        return key if self.key_is_visit else None


TOPICS: dict[str, Topic] = {}


def register_topic(topic: Topic) -> Topic:
    """Register (or replace: a reloaded module) the topic of this name."""
    TOPICS[topic.name] = topic
    return topic


def topic(name: str) -> Topic:
    """The registered topic, or a plain one (payload as is, no purge) for an unknown name."""
    return TOPICS.get(name) or Topic(name)


def registered() -> list[Topic]:
    return list(TOPICS.values())
