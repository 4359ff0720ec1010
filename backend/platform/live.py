"""Live updates for screens, across backend processes.

``publish(session, topic, message)`` is called inside a unit of work; the message goes out only
if that unit commits:
- PostgreSQL: ``pg_notify`` in the same transaction (PostgreSQL delivers it at commit, to every
  process that LISTENs, this one included); one listener thread per process feeds the hub.
- SQLite (one process): handed to the in-process hub after commit (``uow.after_commit``).

Subscribers (server-sent event streams) read from the hub's asyncio queues and never hold a
database session while they wait.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.platform import notifier, uow

log = logging.getLogger(__name__)

PG_CHANNEL = "madoguchi_live"
QUEUE_LIMIT = 256


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]]


class Hub:
    """In-process fan-out: thread-safe publish, asyncio subscribers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._topics: dict[str, list[_Subscriber]] = {}

    def publish_local(self, topic: str, message: dict[str, Any]) -> None:
        with self._lock:
            subscribers = list(self._topics.get(topic, ()))
        for subscriber in subscribers:
            try:
                subscriber.loop.call_soon_threadsafe(_offer, subscriber.queue, message)
            except RuntimeError:  # loop closed: the stream is gone
                self._remove(topic, subscriber)

    @contextmanager
    def subscribe(self, topic: str) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(QUEUE_LIMIT))
        with self._lock:
            self._topics.setdefault(topic, []).append(subscriber)
        try:
            yield subscriber.queue
        finally:
            self._remove(topic, subscriber)

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._topics.get(topic, ()))

    def _remove(self, topic: str, subscriber: _Subscriber) -> None:
        with self._lock:
            subscribers = self._topics.get(topic, [])
            if subscriber in subscribers:
                subscribers.remove(subscriber)


def _offer(queue: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    if queue.full():  # a slow screen loses the oldest update, never blocks the others
        queue.get_nowait()
    queue.put_nowait(message)


hub = Hub()


def publish(session: Session, topic: str, message: dict[str, Any]) -> None:
    """Send ``message`` to ``topic`` subscribers once the session's transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        payload = json.dumps({"topic": topic, "message": message}, ensure_ascii=False)
        if session.in_nested_transaction():  # at once: PostgreSQL drops it if the savepoint
            session.execute(select(func.pg_notify(PG_CHANNEL, payload)))  # is rolled back
        else:  # with the unit's wake keys, in their one statement
            notifier.notify_at_commit(session, PG_CHANNEL, payload)
        return
    uow.after_commit(session, lambda: hub.publish_local(topic, message))


class PostgresListener:
    """One thread per process: LISTEN on the channel, hand each notification to the hub."""

    def __init__(self, engine: Engine, target: Hub) -> None:
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._hub = target
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {PG_CHANNEL}")
                    self.ready.set()
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self._deliver(notify.payload)
            except Exception:  # the database restarted: listen again shortly
                log.warning("live listener lost its PostgreSQL connection; retrying")
                self.ready.clear()
                self._stop.wait(2.0)

    def _deliver(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            self._hub.publish_local(str(data["topic"]), dict(data["message"]))
        except (ValueError, KeyError, TypeError):
            log.warning("live listener ignored a malformed notification")


_listener: PostgresListener | None = None
_listener_lock = threading.Lock()


def ensure_listener(engine: Engine) -> None:
    """Start this process's PostgreSQL listener on first use (nothing to do on SQLite)."""
    global _listener
    if engine.dialect.name != "postgresql":
        return
    with _listener_lock:
        if _listener is None:
            _listener = PostgresListener(engine, hub)
            _listener.start()
    _listener.ready.wait(timeout=5)
