"""The SQL statements a test's session sends, for tests that count or inspect them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements ``db`` sends inside the block, whitespace collapsed to single spaces."""
    with engine_statements(db.connection().engine) as sent:
        yield sent


def count_starting(sent: list[str], prefix: str) -> int:
    """How many of the statements ``sent`` start with ``prefix``."""
    return sum(1 for statement in sent if statement.startswith(prefix))


@contextmanager
def engine_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent on ``engine`` inside the block, by any session or thread."""
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def executions(bind: Engine | Connection) -> Iterator[list[tuple[str, Any]]]:
    """Each statement sent on ``bind`` inside the block as sent, with its parameters (to
    EXPLAIN it): on an engine by any session or thread, on a connection by that one only."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        sent.append((statement, parameters))

    event.listen(bind, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(bind, "before_cursor_execute", keep)
