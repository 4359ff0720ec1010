"""Database: engine, sessions, the declarative base and the one place that scopes by tenant.

Tenant scoping: every model with a ``tenant_id`` column (``TenantOwned``) is filtered by the
session's tenant in ``_scope_to_tenant`` below, for every ORM SELECT, including relationship
loads. A session that has no tenant set sees tenant data only when it says so
(``unscoped=True``: the CLI, the worker, migrations).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy import (
    ClauseElement,
    ColumnElement,
    DateTime,
    ForeignKey,
    LargeBinary,
    MetaData,
    String,
    Text,
    bindparam,
    create_engine,
    event,
    literal,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.sql.util import find_tables
from sqlalchemy.types import TypeDecorator

from backend.platform.crypto import get_keyring
from backend.platform.errors import DatabaseUnavailable, MadoguchiError
from backend.platform.settings import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_written(value: str) -> ColumnElement[str]:
    """``value`` written into the statement's text, not sent as a bound parameter. PostgreSQL
    uses a partial index only when it can prove the index's predicate from the statement
    itself, and a prepared statement's generic plan knows no parameter's value: a query meant
    for a partial index writes the predicate's values this way."""
    return literal(value, literal_execute=True)


def sql_list(values: tuple[str, ...]) -> str:
    """``'a', 'b'``: the values of a partial index's predicate, as written in its SQL."""
    return ", ".join(f"'{value}'" for value in values)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on SQLite too (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class EncryptedText(TypeDecorator[str]):
    """Personal data: AES-GCM on the way in, decrypted on the way out (see crypto.py)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else get_keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else get_keyring().decrypt(value)


class EncryptedBytes(TypeDecorator[bytes]):
    """Personal bytes (PDFs, print data): AES-GCM with the same keyring as ``EncryptedText``.

    The column stays a plain binary column (``bytea`` on PostgreSQL); only what is in it
    changes, so a database dump holds ciphertext and the application sees the same bytes.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else get_keyring().encrypt_bytes(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else get_keyring().decrypt_bytes(bytes(value))


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored encrypted: free text (a visit's facts, outbox payloads) may carry
    personal data, so the database holds only ciphertext (``EncryptedText``)."""

    impl = EncryptedText
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime}


class IdMixin:
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantOwned:
    """A row that belongs to one municipality; sessions filter it by their tenant."""

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:
        return mapped_column(
            String(32), ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
        )


class TenantNotSet(MadoguchiError):
    code = "tenant_not_set"
    default_message = "自治体が選択されていません。"


class OtherTenantsData(MadoguchiError):
    code = "other_tenants_data"
    default_message = "別の自治体のデータは書き込めません。"


def set_session_tenant(session: Session, tenant_id: str | None) -> None:
    previous = session.info.get("tenant_id")
    if previous is not None and previous != tenant_id and session.new:
        # Journey events wait for the next flush (issue 17): write those recorded for the
        # previous tenant while the session is still its own (the flush after the switch
        # would refuse them as another tenant's). Audit events are written under their own
        # tenant whenever they are (audit.write_pending).
        session.flush()
    session.info["tenant_id"] = tenant_id


TENANT_PARAMETER = "scope_tenant_id"
# Built once: the session's tenant travels as a bound parameter of the statement, so the
# criteria is the same object for every tenant and every request. A lambda that closed over
# the tenant id was re-analysed and its value extracted on every statement (≈40 % of a simple
# SELECT's CPU, issue 17); this way a scoped SELECT costs little more than an unscoped one.
# (The name is spelt out in the lambda: SQLAlchemy would track a global as a variable.)
_TENANT_CRITERIA = with_loader_criteria(
    TenantOwned, lambda cls: cls.tenant_id == bindparam("scope_tenant_id"), include_aliases=True
)
# Fail closed: a request session must know its tenant before it reads tenant data.
_NO_TENANT_CRITERIA = with_loader_criteria(
    TenantOwned, lambda cls: cls.tenant_id.is_(None), include_aliases=True
)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get("unscoped", False):
        return
    info = state.session.info
    if info.get("unscoped"):
        return
    tenant_id = info.get("tenant_id")
    if tenant_id is None:
        state.statement = state.statement.options(_NO_TENANT_CRITERIA)
        return
    state.statement = state.statement.options(_TENANT_CRITERIA)
    given = state.parameters or {}
    assert isinstance(given, Mapping), "a SELECT takes one set of parameters"
    state.parameters = {**given, TENANT_PARAMETER: tenant_id}


def statement_reads(state: ORMExecuteState, model: type[Base]) -> bool:
    """Whether the statement reads ``model``'s table: an ORM query of it (its mappers are known
    without walking the statement), or a Core query of the table (walked: callers ask only
    while they have something waiting for that table)."""
    mappers = state.all_mappers
    if mappers:
        return any(mapper.class_ is model for mapper in mappers)
    statement = state.statement
    if not isinstance(statement, ClauseElement):
        return False
    table = model.__table__
    return any(t is table for t in find_tables(statement, check_columns=True))


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context: Any, instances: Any) -> None:
    """New tenant rows take the session's tenant; a row for another tenant is refused."""
    tenant_id = session.info.get("tenant_id")
    for obj in session.new:
        if not isinstance(obj, TenantOwned) or tenant_id is None:
            continue
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise OtherTenantsData()


def make_engine(url: str | None = None) -> Engine:
    """The engine; ``hide_parameters``: an error's message never carries the statement's
    values (names, addresses, numbers), only its SQL with placeholders."""
    url = url or get_settings().database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, issue BEGIN so SAVEPOINTs work (SQLAlchemy docs,
            # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

        return engine
    # The pool holds one connection per request turn (``request_turns``) and a margin for the
    # work outside requests' turns (the agent hub's and long-polls' short looks, in
    # asyncio.to_thread); a checkout never waits long, so its timeout is a plain error.
    # The margin is part of the pool, not its overflow: an overflow connection is closed when
    # given back, and at 64 counters the margin was in use all the time, so PostgreSQL started
    # and ended a backend more than once a second (39 sessions in 30 s), each re-preparing its
    # statements, their work lost from the bench's account.
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_size=get_settings().database_pool_size + POOL_OVERFLOW,
        max_overflow=0,
        pool_timeout=TURN_SECONDS,
    )
    ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 10.0
"""A pooled connection idle longer than this is pinged before use (see ``ping_when_idle``)."""


def ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle for ``IDLE_PING_SECONDS``.

    ``pool_pre_ping`` pings on every checkout: one more round trip per request (≈0.12 ms of
    this process's CPU, 0.5 ms of latency and the database's own work, 30-odd times a visit).
    A connection in steady use is known to be alive; the ones that break — a database restart,
    a firewall dropping idle connections — have been idle, and those are pinged. A dead one is
    replaced before the request uses it (DisconnectionError makes the pool retry with a fresh
    connection); one that dies between uses fails that request and invalidates the pool.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()  # leave no transaction open behind the ping
        except Exception as exc:
            raise DisconnectionError("an idle pooled connection did not answer") from exc


_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    global _engine, _session_factory
    if _engine is None:
        _engine = make_engine()
        _session_factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def session_factory() -> sessionmaker[Session]:
    get_engine()
    assert _session_factory is not None
    return _session_factory


def reset_engine(engine: Engine | None = None) -> None:
    """Point the process at another engine (tests, CLI with --database)."""
    global _engine, _session_factory
    _engine = engine
    _session_factory = sessionmaker(engine, expire_on_commit=False) if engine else None


def begin_write(session: Session) -> None:
    """Start a unit of work that will write.

    On SQLite take the write lock at BEGIN (``BEGIN IMMEDIATE``), so a read-then-write
    transaction waits its turn instead of failing at once ("database is locked") on a stale
    snapshot when another writer committed in between. PostgreSQL needs nothing. Call before
    the first statement of the transaction.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})


@contextmanager
def session_scope(
    *, tenant_id: str | None = None, unscoped: bool = False, write: bool = False
) -> Iterator[Session]:
    """One unit of work outside a request (CLI, worker): commit on success, roll back on error.

    ``write=True``: the unit will write, so it takes SQLite's write lock up front (begin_write).
    """
    session = session_factory()()
    session.info["tenant_id"] = tenant_id
    session.info["unscoped"] = unscoped
    try:
        if write:
            begin_write(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- Turns at the database, queued in asyncio ----------------------------------------------------

TURN_SECONDS = 30.0  # as long as SQLite's own busy timeout and the pool's checkout timeout
POOL_OVERFLOW = 10  # connections beyond the requests' turns: agent hub, long-poll looks, worker


class Turns:
    """At most ``limit`` holders at once, queued as asyncio futures, not parked threads.

    A request waits for its turn here, on the event loop, before any thread opens its unit of
    work. Why it matters: a request's unit of work spans several hand-offs to the thread pool
    (authenticate, the route, commit) and holds its database connection between them. Without
    turns, forty threads could each wait for a pooled connection while the requests holding
    all the connections wait for a thread: a deadlock until the pool times out (seen at 64
    counters, issue 17). With turns, no more requests hold connections than the pool has, so a
    thread never waits for one.

    SQLite takes one writer at a time (``BEGIN IMMEDIATE``), so its limit is one; PostgreSQL's
    is the pool's size. First come, first served, across event loops.
    """

    def __init__(self, limit: int = 1) -> None:
        if limit < 1:
            raise ValueError("a turn needs at least one holder")
        self.limit = limit
        self._lock = threading.Lock()
        self._holders = 0
        self._queue: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = (
            collections.deque()
        )

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def holders(self) -> int:
        with self._lock:
            return self._holders

    async def acquire(self, timeout: float = TURN_SECONDS) -> None:
        """Wait for the turn; after ``timeout`` seconds, 503 ``database_unavailable``."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._holders < self.limit and not self._queue:
                self._holders += 1
                return
            turn: asyncio.Future[None] = loop.create_future()
            self._queue.append((loop, turn))
        try:
            await asyncio.wait_for(asyncio.shield(turn), timeout=timeout)
        except BaseException as exc:
            self._give_up(loop, turn)
            if isinstance(exc, TimeoutError):
                raise DatabaseUnavailable(
                    "データベースが混み合っています。しばらくしてからもう一度お試しください。"
                ) from None
            raise

    def release(self) -> None:
        with self._lock:
            while self._queue:
                loop, turn = self._queue.popleft()
                try:
                    loop.call_soon_threadsafe(_grant, turn)
                    return  # the turn passes on: as many holders as before
                except RuntimeError:  # that loop has closed: the next one
                    continue
            self._holders -= 1

    def _give_up(self, loop: asyncio.AbstractEventLoop, turn: asyncio.Future[None]) -> None:
        with self._lock:
            if (loop, turn) in self._queue:
                self._queue.remove((loop, turn))
                return
        # Granted meanwhile (or being granted): pass it on once it lands.
        loop.call_soon(_pass_on, self, turn)


def _grant(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)


def _pass_on(turns: Turns, turn: asyncio.Future[None]) -> None:
    if turn.done() and not turn.cancelled():
        turns.release()
    else:
        turn.add_done_callback(lambda _done: turns.release())


_request_turns: dict[int, Turns] = {}
_request_turns_lock = threading.Lock()


def request_turns() -> Turns:
    """The turns requests take before their unit of work, for the engine in use: one writer on
    SQLite; on PostgreSQL ``make_engine``'s pool less its ``POOL_OVERFLOW`` margin for the work
    outside the turns (``database_pool_size``)."""
    engine = get_engine()
    if engine.dialect.name == "sqlite":
        limit = 1
    else:  # a test's engine may have a pool without a size (NullPool): the setting then
        size = getattr(engine.pool, "size", None)
        limit = size() - POOL_OVERFLOW if callable(size) else get_settings().database_pool_size
    with _request_turns_lock:
        if limit not in _request_turns:
            _request_turns[limit] = Turns(limit)
        return _request_turns[limit]
