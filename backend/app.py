"""The FastAPI application: routers from each domain, one error handler, the web screens."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.platform import db_errors, hot_lane, route_gate
from backend.platform import middleware as security_middleware
from backend.platform import openapi as openapi_doc
from backend.platform.errors import Conflict, MadoguchiError
from forms.errors import FontMissingError, FormsError
from kiosk import STATIC_DIR

log = logging.getLogger(__name__)

# Modules exposing ``router``; keep one per line (merges stay easy).
# FastAPI tries the routes in this order, each before the request's own: the routers the
# counter's screens call all through a visit come first (a visit's request tried ≈ 89 routes,
# now ≈ 20). No two modules have a path in common (tests/backend/test_router_order.py), so the
# order changes no answer, only how soon it is found. A new module goes below the hot ones.
ROUTER_MODULES: tuple[str, ...] = (
    "backend.health.router",
    "backend.counter.router",
    "backend.counter.documents_router",
    "backend.counter.tablet_router",
    "backend.counter.card_router",
    "backend.platform.agentlink.router",
    "backend.queue.router",
    "backend.identity.auth.router",
    "backend.schemas_api.router",
    "backend.guidance.router",
    "backend.identity.auth.oidc_router",
    "backend.identity.devices.router",
    "backend.platform.audit.router",
    "backend.platform.outbox.router",
    "backend.counter.backoffice_router",
    "backend.backoffice.router",
    "backend.corelink.router",
    "backend.counter.checks_router",
    "backend.addresses.router",
    "backend.identity.tenants.router",
    "backend.identity.staff.router",
    "backend.guidance.sharing_router",
    "backend.guidance.editing_router",
    "backend.queue.setup_router",
    "backend.layouts.router",
    "backend.journey.router",
    "backend.residents.router",
)


def _error_response(error: MadoguchiError) -> JSONResponse:
    return JSONResponse(status_code=error.status_code, content=error.to_body())


async def _handle_madoguchi_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MadoguchiError)
    if exc.status_code >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.code)
    return _error_response(exc)


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]
    body = {
        "error": {
            "code": "validation_failed",
            "message": "入力内容を確認してください。",
            "fields": fields,
        }
    }
    return JSONResponse(status_code=422, content=body)


async def _handle_forms_error(request: Request, exc: Exception) -> JSONResponse:
    """A record the forms cannot render (an unprintable character, a missing entry): 422 with
    the form's code and message; a font missing on the server stays a 500."""
    assert isinstance(exc, FormsError)
    status = 500 if isinstance(exc, FontMissingError) else 422
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.code)
    body = {"error": {"code": exc.code, "message": exc.message}}
    return JSONResponse(status_code=status, content=body)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


async def _handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Framework errors (unknown route, wrong method) in the same shape as ours."""
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = "見つかりません。" if exc.status_code == 404 else str(exc.detail)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        # The methods the path has: the first route tried (or the static files) knows only its own.
        allowed = openapi_doc.allowed_methods(request.app, request.scope)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return JSONResponse(
        status_code=exc.status_code,
        content={"error": {"code": code, "message": message}},
        headers=headers or None,
    )


async def _handle_integrity_error(request: Request, exc: Exception) -> JSONResponse:
    """A constraint refused the write (often two requests at once): nothing was saved."""
    log.warning("%s %s: integrity error, rolled back", request.method, request.url.path)
    return _error_response(Conflict())


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s: unexpected error", request.method, request.url.path)
    return _error_response(MadoguchiError())


def _install_ticket_printer() -> None:
    from backend.platform.settings import get_settings
    from backend.printing.tickets import EscposTicketPrinter
    from backend.queue.printing import set_ticket_printer

    url = get_settings().ticket_printer_url
    if url:
        set_ticket_printer(EscposTicketPrinter(url))


def _configure_access() -> None:
    from backend.identity.auth.deps import configure_access

    configure_access()


def install_agent_link() -> None:
    """The agent link's devices and result handlers (it imports no domain itself)."""
    from backend.counter import card_reading
    from backend.identity.devices.agent_directory import DIRECTORY
    from backend.platform.agentlink.hooks import configure

    configure(devices=DIRECTORY)
    card_reading.register()


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """On PostgreSQL, listen for other processes' changes from the start: the credential cache
    believes its entries beyond two seconds only while it hears them (identity/auth/cache.py).
    Then the garbage collector is tuned for serving (``platform.gc_tuning``) and the render
    processes start in the background (``counter.rendering.start_pool``)."""
    from backend.counter import rendering
    from backend.platform.db import get_engine
    from backend.platform.gc_tuning import tune_for_serving
    from backend.platform.notifier import notifier

    await notifier.ensure_listening(get_engine())
    tune_for_serving()
    rendering.start_pool()
    try:
        yield
    finally:
        # The render pool's processes would outlive this one, waiting for work for ever.
        await asyncio.to_thread(rendering.shutdown_pool, wait=True)


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="madoguchi",
        # Swagger UI and ReDoc load from a CDN: closed counter networks have none, and the CSP
        # forbids it. The spec stays at /openapi.json for integrators' own tools.
        docs_url=None,
        redoc_url=None,
        version="0.1.0",
        description='書かないワンストップ窓口 API. Errors: {"error": {"code", "message"}}.',
    )
    app.add_exception_handler(MadoguchiError, _handle_madoguchi_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    app.add_exception_handler(IntegrityError, _handle_integrity_error)
    app.add_exception_handler(FormsError, _handle_forms_error)
    app.add_exception_handler(Exception, _handle_unexpected)
    db_errors.install(app)
    _install_ticket_printer()
    _configure_access()
    install_agent_link()
    for module_name in ROUTER_MODULES:
        app.include_router(importlib.import_module(module_name).router)
    route_gate.install(app)  # each request tried only against the routers that can hold it
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="kiosk")
    hot_lane.install(app)  # the hot routes' short way through FastAPI
    openapi_doc.install(app)
    security_middleware.install(app)
    return app
