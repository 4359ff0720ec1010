"""Wake-ups across backend processes: "something about KEY changed, look again".

A wait for a card result, a PIN or a job is an ``asyncio`` wait on an event, never a parked
thread. What wakes it is the database, so it works whichever replica made the change:

- PostgreSQL: ``publish`` notes the key in the writer's transaction, whose keys go out as one
  ``pg_notify`` statement just before it commits; PostgreSQL delivers them at commit to every
  process that LISTENs (this one included). One listener connection per
  process (psycopg 3 ``AsyncConnection.notifies()``, a task on the event loop) fans each key out
  to the asyncio events watching it.
- SQLite (one process by design): ``publish`` hands the key to the same fan-out after commit.

A notification carries a key only (``job:<id>``, ``device:<id>``), never data: the woken side
reads the rows afresh. Notifications can be lost while the listener is not listening (the
database restarting): then waiters look again every few seconds (``recheck_seconds``), and
every waiter is woken whenever the listener stops or starts listening, so one that trusted
the notifications learns at once that it must look.

Besides the asyncio waiters, a plain callback may ``subscribe`` to every key this process
receives (the credential cache drops what a key names); ``listening()`` tells it whether every
notification published since a given moment reached this process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from backend.platform import uow
from backend.platform.errors import ServiceUnavailable

log = logging.getLogger(__name__)

PG_CHANNEL = "madoguchi_wake"
RECHECK_SECONDS = 5.0  # a waiter looks again this often even without a notification
RECONNECT_SECONDS = 2.0
RECENT_KEYS = 4096  # keys ``published_since`` remembers; older ones count as published
MAX_WAITS = 2000  # concurrent long waits one process holds (events, not threads)


def job_key(job_id: str) -> str:
    return f"job:{job_id}"


def device_key(device_id: str) -> str:
    return f"device:{device_id}"


@dataclass(frozen=True)
class Mark:
    """Where publishing stood in this process (``Notifier.mark``)."""

    seq: int
    generation: int  # the PostgreSQL listener's connection counted on (0: SQLite, none)


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
        # What was published lately, for ``published_since``: a running number per publish,
        # the last number of each recent key, and the newest number of the keys forgotten.
        self._seq = 0
        self._recent: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._forgotten = 0
        # The listener's connection: its number changes whenever it starts or stops listening
        # (what was committed meanwhile may not have reached this process).
        self._generation = 0
        self._listening = False

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
            self._seq += 1
            self._recent[key] = self._seq
            self._recent.move_to_end(key)
            if len(self._recent) > RECENT_KEYS:
                _, self._forgotten = self._recent.popitem(last=False)
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

    def mark(self, dialect: str) -> Mark | None:
        """Where publishing stands now (``published_since``); None when what is committed from
        now on might not reach this process (PostgreSQL, with its listener not listening)."""
        with self._lock:
            if dialect != "postgresql":
                return Mark(self._seq, 0)
            listener = self._listener
            if not self._listening or listener is None or not listener.alive():
                return None
            return Mark(self._seq, self._generation)

    def published_since(self, key: str, mark: Mark | None) -> bool:
        """Whether ``key`` may have been published in this process since ``mark`` (True when
        not known: no mark, a key forgotten since, or the listener's connection changed)."""
        if mark is None:
            return True
        with self._lock:
            if mark.generation and (not self._listening or self._generation != mark.generation):
                return True
            return self._recent.get(key, 0) > mark.seq or self._forgotten > mark.seq

    def recheck_seconds(self, dialect: str) -> float | None:
        """How soon a waiter must look again without a notification: not at all (None) while
        every notification reaches this process (SQLite; PostgreSQL with the listener
        listening), else ``RECHECK_SECONDS``. Asked before each wait: the listener stopping or
        starting wakes every waiter (``_listening_changed``)."""
        return None if self.mark(dialect) is not None else RECHECK_SECONDS

    def _listening_changed(
        self, listening: bool, listener: _PostgresListener | None = None
    ) -> None:
        with self._lock:
            if listener is not None and self._listener is not listener:
                return  # a listener replaced meanwhile speaks no more for this process
            self._listening = listening
            self._generation += 1
            watches = {watch for watching in self._watches.values() for watch in watching}
        # What was published meanwhile may be lost: every waiter looks again (and, while not
        # listening, again every RECHECK_SECONDS).
        for watch in watches:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                watch.loop.call_soon_threadsafe(watch.event.set)

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
        current = self._listener
        if current is not None and current.serves(engine.url):
            return  # every long poll asks: rendering the URL and awaiting was 1.8 ms a visit
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with self._lock:
            current = self._listener
            if current is None or not current.alive() or current.url != url:
                if current is not None:
                    current.stop()
                    self._listening = False
                    self._generation += 1
                current = self._listener = _PostgresListener(url, self, engine.url)
                current.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(current.ready_event()), timeout=ready_timeout)

    def listening(self) -> int | None:
        """The id of this process's PostgreSQL listener connection while it is up, else None.

        While the id stays the same, every key published since it was first seen has reached
        (or is about to reach) ``publish_local`` here; a new id means some may have been lost.
        """
        mark = self.mark("postgresql")  # a new connection is a new generation
        return None if mark is None else mark.generation

    def stop_listening(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        self._listening_changed(False)


class _PostgresListener:
    def __init__(self, url: str, notifier: Notifier, engine_url: URL) -> None:
        self.url = url
        self._engine_url = engine_url
        self._notifier = notifier
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = self._loop.create_task(self._run(), name="notifier-listener")

    def alive(self) -> bool:
        return self._task is not None and not self._task.done() and not self._loop.is_closed()

    def serves(self, engine_url: URL) -> bool:
        """Up, listening, on this loop, for the engine with this URL: nothing to start or
        await."""
        return (
            self._ready.is_set()
            and engine_url == self._engine_url
            and self.alive()
            and asyncio.get_running_loop() is self._loop
        )

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
                    self._notifier._listening_changed(True, self)
                    self._ready.set()
                    async for notify in conn.notifies():
                        self._notifier.publish_local(notify.payload)
            except asyncio.CancelledError:
                self._notifier._listening_changed(False, self)
                raise
            except Exception as exc:  # the database restarted: waiters recheck meanwhile
                log.warning("notifier lost its PostgreSQL connection (%s)", type(exc).__name__)
            self._notifier._listening_changed(False, self)
            self._ready.clear()
            await asyncio.sleep(RECONNECT_SECONDS)


notifier = Notifier()


_PENDING_KEY = "notifier_pending"  # session.info: the keys a PostgreSQL transaction publishes
_SENT_KEY = "notifier_sent"  # session.info: the transaction's keys have gone out (committing)
_MARK_KEY = "notifier_mark"  # session.info: ``notifier.mark()`` when its transaction began


def publish(session: Session, key: str) -> None:
    """Wake whoever watches ``key``, in any process, once ``session``'s transaction commits.

    PostgreSQL: the key is noted, and the transaction's keys go out just before it commits, in
    ONE statement (``pg_notify`` per distinct key); PostgreSQL delivers them at commit, or not
    at all on rollback, as a ``pg_notify`` sent at once would be. SQLite: handed to this
    process's fan-out after commit (never on rollback).
    """
    if session.get_bind().dialect.name == "postgresql":
        notify_at_commit(session, PG_CHANNEL, key)
        return
    uow.after_commit(session, lambda: notifier.publish_local(key))


def notify_at_commit(session: Session, channel: str, payload: str) -> None:
    """PostgreSQL: ``pg_notify(channel, payload)`` in the statement that carries the
    transaction's wake keys (``_send_pending``), not a statement of its own: the call display's
    messages (``backend.platform.live``) ride with them. In the order noted; each once."""
    if session.info.get(_SENT_KEY):  # the keys went out already (a later commit hook's
        session.execute(select(func.pg_notify(channel, payload)))  # flush): at once
        return
    pending: dict[tuple[str, str], None] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = {}
    pending[(channel, payload)] = None  # an ordered set: each once per transaction


# insert=True: before the audit chain's write, the unit's last statements (they hold the
# chain's lock until the COMMIT: audit.service._write_at_commit).
@event.listens_for(Session, "before_commit", insert=True)
def _send_pending(session: Session) -> None:
    """The transaction's keys, in one statement, as its last statement before COMMIT."""
    if session.in_nested_transaction():
        return  # a savepoint: the transaction goes on
    if not (session.info.get(_PENDING_KEY) or session.new or session.dirty or session.deleted):
        return  # nothing noted, and no flush left that could note one (``counter.wake``)
    if session.get_bind().dialect.name != "postgresql":
        return
    session.flush()  # what the commit would flush first: its before_flush hooks may publish
    pending = session.info.pop(_PENDING_KEY, None)
    session.info[_SENT_KEY] = True  # another before_commit hook may still flush and publish
    if pending:
        notices = (func.pg_notify(channel, payload) for channel, payload in pending)
        session.execute(select(*notices))


@event.listens_for(Session, "after_begin")
def _mark_begin(session: Session, _transaction: Any, connection: Any) -> None:
    # Before the transaction's first statement, so before any snapshot it reads from: whatever
    # it cannot see was committed later, and published here after this mark.
    if _MARK_KEY not in session.info:
        session.info[_MARK_KEY] = notifier.mark(connection.dialect.name)


def transaction_mark(session: Session) -> Mark | None:
    """``Notifier.mark`` as it stood when ``session``'s transaction began (None: unknown)."""
    mark = session.info.get(_MARK_KEY)
    return mark if isinstance(mark, Mark) else None


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: sent, or rolled back
        session.info.pop(_PENDING_KEY, None)
        session.info.pop(_SENT_KEY, None)
        session.info.pop(_MARK_KEY, None)


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
