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

from backend.platform.db import session_scope, takes_writer_turns, writer_turns


async def writer_turn() -> AsyncIterator[None]:
    """On SQLite, the request's turn as the one writer, awaited on the event loop (no thread
    is parked on the database lock); released after the commit. Nothing on PostgreSQL."""
    if not takes_writer_turns():
        yield
        return
    await writer_turns.acquire()
    try:
        yield
    finally:
        writer_turns.release()


def session_unit() -> Iterator[Session]:
    """One writing unit of work: committed when the caller is done, else rolled back."""
    # Every authenticated request writes (last_seen_at), so it is a writing unit of work.
    # The tenant is set once the caller is authenticated.
    with session_scope(write=True) as session:
        yield session


def get_session(
    _turn: Annotated[None, Depends(writer_turn, scope="function")],
) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    yield from session_unit()


T = TypeVar("T")


def run_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` with the app's session provider (tests override it), committed at once.

    For code that opens its own unit of work outside a route's dependencies (streams, the hot
    routes of ``access.run_authorized``); the caller takes the writer turn if it needs one.
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
