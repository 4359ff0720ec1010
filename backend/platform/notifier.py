"""Wake-ups across backend processes: "something about KEY changed, look again".

A wait for a card result, a PIN or a job is an ``asyncio`` wait on an event, never a parked
thread. What wakes it is the database, so it works whichever replica made the change:

- PostgreSQL: ``publish`` runs ``pg_notify`` in the writer's transaction; PostgreSQL delivers it
  at commit to every process that LISTENs (this one included). One listener connection per
  process (psycopg 3 ``AsyncConnection.notifies()``, a task on the event loop) fans each key out
  to the asyncio events watching it.
- SQLite (one process by design): ``publish`` hands the key to the same fan-out after commit.

A notification carries a key only (``job:<id>``, ``device:<id>``), never data: the woken side
reads the rows afresh. Notifications can be lost (the listener reconnecting), so every waiter
also looks again after a few seconds (``RECHECK_SECONDS``).

Besides the asyncio waiters, a plain callback may ``subscribe`` to every key this process
receives (the credential cache drops what a key names); ``listening()`` tells it whether every
notification published since a given moment reached this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.platform import uow
from backend.platform.errors import ServiceUnavailable

log = logging.getLogger(__name__)

PG_CHANNEL = "madoguchi_wake"
RECHECK_SECONDS = 5.0  # a waiter looks again this often even without a notification
RECONNECT_SECONDS = 2.0
MAX_WAITS = 2000  # concurrent long waits one process holds (events, not threads)

_connections = itertools.count(1)  # an id for each connection a listener opens


def job_key(job_id: str) -> str:
    return f"job:{job_id}"


def device_key(device_id: str) -> str:
    return f"device:{device_id}"


@dataclass(eq=False)
class _Watch:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event = field(default_factory=asyncio.Event)


class Notifier:
    """Keys to asyncio events, on any event loop; ``publish_local`` may be called from any
    thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[str, set[_Watch]] = {}
        self._subscribers: tuple[Callable[[str], None], ...] = ()
        self._listener: _PostgresListener | None = None

    # --- fan-out ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def watch(self, *keys: str) -> Iterator[asyncio.Event]:
        """An event set whenever one of ``keys`` is published while the block runs.

        Register before looking at the state you wait on, so a change in between is not missed.
        """
        watch = _Watch(asyncio.get_running_loop())
        with self._lock:
            for key in keys:
                self._watches.setdefault(key, set()).add(watch)
        try:
            yield watch.event
        finally:
            with self._lock:
                for key in keys:
                    watching = self._watches.get(key)
                    if watching is not None:
                        watching.discard(watch)
                        if not watching:
                            del self._watches[key]

    def publish_local(self, key: str) -> None:
        with self._lock:
            watches = list(self._watches.get(key, ()))
        for watch in watches:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits there
                watch.loop.call_soon_threadsafe(watch.event.set)
        for subscriber in self._subscribers:
            try:
                subscriber(key)
            except Exception:  # one subscriber's failure must not hide the key from the others
                log.exception("a notifier subscriber failed")

    def subscribe(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(key)`` for every key this process receives, in the receiving thread
        (it must be quick and thread-safe). Subscribing twice is subscribing once."""
        with self._lock:
            if callback not in self._subscribers:
                self._subscribers = (*self._subscribers, callback)

    def unsubscribe(self, callback: Callable[[str], None]) -> None:
        with self._lock:
            self._subscribers = tuple(s for s in self._subscribers if s != callback)

    def watchers(self, key: str) -> int:
        """How many waiters watch ``key`` in this process (tests, diagnostics)."""
        with self._lock:
            return len(self._watches.get(key, ()))

    # --- the PostgreSQL listener -------------------------------------------------------------

    async def ensure_listening(self, engine: Engine, *, ready_timeout: float = 5.0) -> None:
        """Start this process's listener on first use (nothing to do on SQLite).

        The listener is a task of the loop that first asks; if that loop has gone (tests start
        servers one after another), the next caller's loop takes it over.
        """
        if engine.dialect.name != "postgresql":
            return
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with self._lock:
            current = self._listener
            if current is None or not current.alive() or current.url != url:
                if current is not None:
                    current.stop()
                current = self._listener = _PostgresListener(url, self)
                current.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(current.ready_event()), timeout=ready_timeout)

    def listening(self) -> int | None:
        """The id of this process's PostgreSQL listener connection while it is up, else None.

        While the id stays the same, every key published since it was first seen has reached
        (or is about to reach) ``publish_local`` here; a new id means some may have been lost.
        """
        listener = self._listener
        if listener is None or not listener.alive():
            return None
        return listener.connection_id

    def stop_listening(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()


class _PostgresListener:
    def __init__(self, url: str, notifier: Notifier) -> None:
        self.url = url
        self._notifier = notifier
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connection_id: int | None = None  # set while LISTENing (``Notifier.listening``)

    def start(self) -> None:
        self._task = self._loop.create_task(self._run(), name="notifier-listener")

    def alive(self) -> bool:
        return self._task is not None and not self._task.done() and not self._loop.is_closed()

    async def ready_event(self) -> None:
        if asyncio.get_running_loop() is self._loop:
            await self._ready.wait()

    def stop(self) -> None:
        if self._task is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._task.cancel)

    async def _run(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {PG_CHANNEL}")
                    self.connection_id = next(_connections)
                    self._ready.set()
                    async for notify in conn.notifies():
                        self._notifier.publish_local(notify.payload)
            except asyncio.CancelledError:
                self.connection_id = None
                raise
            except Exception as exc:  # the database restarted: waiters recheck meanwhile
                log.warning("notifier lost its PostgreSQL connection (%s)", type(exc).__name__)
            self.connection_id = None
            self._ready.clear()
            await asyncio.sleep(RECONNECT_SECONDS)


notifier = Notifier()


def publish(session: Session, key: str) -> None:
    """Wake whoever watches ``key``, in any process, once ``session``'s transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(PG_CHANNEL, key)))
        return
    uow.after_commit(session, lambda: notifier.publish_local(key))


# --- the budget of long waits --------------------------------------------------------------


class TooManyWaits(ServiceUnavailable):
    code = "too_many_waits"
    default_message = (
        "サーバーが受け付けている待ち合わせ（カード読み取り・印刷の完了待ち）が上限に達しました。"
        "数秒後にもう一度お試しください。"
    )


class WaitBudget:
    """At most ``limit`` long waits at once in this process: their own budget, no thread's."""

    def __init__(self, limit: int = MAX_WAITS) -> None:
        self.limit = limit
        self._held = 0
        self._lock = threading.Lock()

    @property
    def held(self) -> int:
        with self._lock:
            return self._held

    def ensure_room(self) -> None:
        """Refuse a new wait up front, while a clear error can still be the response."""
        if self.held >= self.limit:
            raise TooManyWaits()

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """Hold a slot for the block; ``False`` if none was free (then do not wait)."""
        with self._lock:
            granted = self._held < self.limit
            if granted:
                self._held += 1
        try:
            yield granted
        finally:
            if granted:
                with self._lock:
                    self._held -= 1


waits = WaitBudget()
