"""Request dependencies, as ``Annotated`` aliases used by every router.

One request, one transaction: ``get_session`` commits once after the route returns, or rolls
back on any error. Services only ``flush()``. Who the caller is: ``backend.platform.access``
(``require``), and identity's ``CurrentStaff`` / ``CurrentDevice``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.platform import request_memo
from backend.platform.db import request_turns, session_scope


async def database_turn() -> AsyncIterator[None]:
    """The request's turn at the database, awaited on the event loop (``db.Turns``): on SQLite
    the one writer's, on PostgreSQL one of the pool's connections; released after the commit.
    No thread waits for the database lock or a pooled connection."""
    turns = request_turns()
    await turns.acquire()
    try:
        yield
    finally:
        turns.release()


def session_unit() -> Iterator[Session]:
    """One writing unit of work: committed when the caller is done, else rolled back."""
    # Every authenticated request writes (last_seen_at), so it is a writing unit of work.
    # The tenant is set once the caller is authenticated.
    with session_scope(write=True) as session:
        request_memo.keep_loaded_rows(session)
        yield session


def get_session(
    _turn: Annotated[None, Depends(database_turn, scope="function")],
) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    yield from session_unit()


T = TypeVar("T")


def run_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` with the app's session provider (tests override it), committed at once.

    For code that opens its own unit of work outside a route's dependencies (streams, the hot
    routes of ``access.run_authorized``); the caller takes its ``database_turn`` first.
    """
    provider = request.app.dependency_overrides.get(get_session, session_unit)
    sessions: Generator[Session, None, None] = provider()
    session = next(sessions)
    try:
        result = work(session)
    except BaseException as exc:
        sessions.throw(exc)  # the provider rolls back, closes and raises it again
        raise
    next(sessions, None)  # the provider commits and closes
    return result


# scope="function": the commit happens before the response is sent, so a failed commit is an
# error response, never a 200 for data that was not saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
