"""Core commands: serve, worker, demo, database, seed, visit validation."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

import typer
from fastapi import FastAPI
from pydantic import ValidationError
from uvicorn.protocols.http.h11_impl import H11Protocol

from backend.platform import safe_parse
from backend.platform.logging_setup import configure_for_command
from backend.platform.safe_parse import DocumentTooComplex
from backend.platform.settings import Settings
from contracts import VisitRecord

logger = logging.getLogger(__name__)


def _format_error_location(loc: tuple[int | str, ...]) -> str:
    parts = [f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc]
    return "".join(parts).lstrip(".")


def validate_visit(path: Path) -> list[str]:
    """Validate a visit record file; return one readable line per problem (empty when valid).

    A file that cannot be read as a document at all (a folder, binary, not UTF-8, over the
    parse limits) raises ``DocumentTooComplex``.
    """
    try:
        data = safe_parse.load_json(safe_parse.read_text(path))
    except FileNotFoundError:
        return [f"{path}: ファイルがありません (file not found)"]
    except json.JSONDecodeError as exc:
        return [f"{path}:{exc.lineno}:{exc.colno}: JSON として読めません: {exc.msg}"]
    try:
        VisitRecord.model_validate(data)
    except ValidationError as exc:
        return [
            f"{path}: {_format_error_location(err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        ]
    return []


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Send each response at once (TCP_NODELAY): without it Nagle's algorithm holds the last
    small segment of a keep-alive response until the client's delayed ACK, ≈40–48 ms."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with TCP_NODELAY on every connection.

    asyncio sets it itself only on sockets whose ``proto`` is IPPROTO_TCP; the listening socket
    uvicorn binds for ``--workers N`` has proto 0, so its connections went without, and every
    keep-alive response of the multi-process server gained ≈48 ms.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


# httptools (llhttp, in C) parses requests and builds responses for a fraction of the CPU of
# h11 (pure Python); it is a dependency, but the server still runs on h11 without it.
HTTP_PROTOCOL: type[asyncio.Protocol] = NoDelayH11Protocol
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools not installed
    pass
else:

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, with TCP_NODELAY on every connection (as above)."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            set_nodelay(transport)
            super().connection_made(transport)

    HTTP_PROTOCOL = NoDelayHttpToolsProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Logging through the masking filter (access and error lines included),
    ``X-Forwarded-*`` believed only from ``MADOGUCHI_TRUSTED_PROXIES`` (none by default; uvicorn
    alone would trust 127.0.0.1), TCP_NODELAY on every connection whatever the number of
    workers, and the C parts where installed: httptools' parser (``HTTP_PROTOCOL``) and uvloop's
    event loop (``loop="auto"`` picks it, else asyncio's)."""
    from backend.platform.logging_setup import logging_config

    proxies = [str(network) for network in settings.trusted_proxy_networks]
    return {
        "log_config": logging_config(settings.log_level),
        "log_level": settings.log_level.lower(),
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies,
        "http": HTTP_PROTOCOL,
        "loop": "auto",
    }


def create_served_app() -> FastAPI:
    """The app as ``madoguchi serve`` runs it, in each of its processes: pinned to a CPU of its
    own first (``cpu_pinning``; before the app starts any thread, so all inherit it)."""
    from backend.app import create_app
    from backend.platform import cpu_pinning
    from backend.platform.settings import get_settings

    settings = get_settings()
    if settings.serve_cpu_pinning:
        cpu = cpu_pinning.pin_to_free_cpu(settings.data_dir / cpu_pinning.SLOTS_FOLDER)
        if cpu is not None:
            logger.info("server process %d on CPU %d", os.getpid(), cpu)
    return create_app()


def register(app: typer.Typer) -> None:
    visit_app = typer.Typer(help="Canonical visit records (madoguchi.visit/1).")
    app.add_typer(visit_app, name="visit")
    db_app = typer.Typer(help="Database migrations.")
    app.add_typer(db_app, name="db")

    @visit_app.command("validate")
    def visit_validate(file: Path) -> None:
        """Check FILE against the visit record schema; exit 1 with one line per error.

        Exit 2 with one line when FILE cannot be read as a document (a folder, binary, not
        UTF-8, too large or too deeply nested).
        """
        try:
            problems = validate_visit(file)
        except DocumentTooComplex as exc:
            typer.echo(f"{file}: {exc.message}", err=True)
            raise typer.Exit(2) from exc
        for line in problems:
            typer.echo(line, err=True)
        if problems:
            raise typer.Exit(1)
        typer.echo(f"{file}: OK")

    @visit_app.command("schema")
    def visit_schema() -> None:
        """Print the JSON Schema of the visit record."""
        from contracts import visit_json_schema

        typer.echo(json.dumps(visit_json_schema(), ensure_ascii=False, indent=2))

    @db_app.command("upgrade")
    def db_upgrade() -> None:
        """Apply every migration to MADOGUCHI_DATABASE_URL."""
        from backend.platform import migrate
        from backend.platform.db import get_engine

        configure_for_command()
        migrate.upgrade(get_engine())
        typer.echo("database at head")

    @app.command("seed")
    def seed(
        history_days: int = typer.Option(
            0, "--history-days", min=0, max=3660, help="add N past days of synthetic visits"
        ),
    ) -> None:
        """Create the fictional demo municipality, its counters, queues and staff."""
        from backend.journey.history import seed_history
        from backend.platform.db import session_scope
        from backend.seed import seed_demo

        configure_for_command()
        with session_scope(unscoped=True) as session:
            tenant = seed_demo(session)
            typer.echo(f"seeded {tenant.code} {tenant.name}")
            if history_days:
                added = seed_history(session, tenant.id, history_days)
                typer.echo(f"history: {added} visits over the last {history_days} days")

    @app.command("serve")
    def serve(
        host: str | None = typer.Option(None, help="default: MADOGUCHI_HOST"),
        port: int | None = typer.Option(None, help="default: MADOGUCHI_PORT"),
        workers: int = typer.Option(1, help="uvicorn worker processes"),
    ) -> None:
        """Serve the API and the screens (no migrations: run `madoguchi db upgrade` first)."""
        import uvicorn

        settings = configure_for_command()
        uvicorn.run(
            "backend.server_cli:create_served_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            **uvicorn_options(settings),
        )

    @app.command("worker")
    def worker_command() -> None:
        """Run the background jobs until interrupted."""
        from backend import worker
        from backend.platform.gc_tuning import tune_for_serving

        configure_for_command()
        tune_for_serving()
        try:
            worker.run_forever()
        except KeyboardInterrupt:
            typer.echo("worker stopped")

    @app.command("demo")
    def demo() -> None:
        """Everything on one machine (what `make run` starts)."""
        from backend.demo import run_demo

        run_demo(configure_for_command())
