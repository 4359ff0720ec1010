"""Request dependencies, as ``Annotated`` aliases used by every router.

One request, one transaction: ``get_session`` commits once after the route returns, or rolls
back on any error. Services only ``flush()``. Who the caller is: ``backend.platform.access``
(``require``), and identity's ``CurrentStaff`` / ``CurrentDevice``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from backend.platform.db import session_scope


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    # Every authenticated request writes (last_seen_at), so it is a writing unit of work.
    # The tenant is set once the caller is authenticated.
    with session_scope(write=True) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is an
# error response, never a 200 for data that was not saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
