"""While the database is gone, the API answers 503 ``database_unavailable``, not 500.

Clients (the kiosk, the clerk screens, back-office pulls) retry a 503; a 500 says "bug". The
readiness probe (``/readyz``) keeps its own answer. Logged by type only: the message of a
database error can carry the statement and its parameters.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from backend.platform.errors import DatabaseUnavailable, MadoguchiError

log = logging.getLogger(__name__)


def is_unavailable(exc: Exception) -> bool:
    """A lost or refused connection, a pool that has none left, or a locked database."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    error = DatabaseUnavailable() if is_unavailable(exc) else MadoguchiError()
    cause = type(getattr(exc, "orig", None) or exc).__name__
    if error.status_code == 503:
        log.warning("%s %s: database unavailable (%s)", request.method, request.url.path, cause)
    else:
        log.error("%s %s: database error (%s)", request.method, request.url.path, cause)
    return JSONResponse(status_code=error.status_code, content=error.to_body())


def install(app: FastAPI) -> None:
    """Register the handler (``IntegrityError`` keeps its own, more specific one: 409)."""
    app.add_exception_handler(DBAPIError, handle_database_error)
    app.add_exception_handler(PoolTimeoutError, handle_database_error)
