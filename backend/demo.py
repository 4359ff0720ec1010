"""``madoguchi demo`` (what ``make run`` starts): the whole system on one machine.

Migrates the SQLite file, seeds the demo municipality, starts the worker and the emulated
devices in background threads, serves the backend, prints every screen's URL, and stops
everything cleanly on Ctrl-C.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

import uvicorn

from backend import worker
from backend.journey.history import seed_history
from backend.platform import migrate
from backend.platform.db import get_engine, session_scope
from backend.platform.settings import Settings
from backend.seed import DEMO_PASSWORD, DEMO_STAFF, DEMO_TENANT_CODE, seed_demo
from backend.server_cli import uvicorn_options

log = logging.getLogger(__name__)

# Modules exposing ``start_demo(stop: threading.Event) -> str`` (a line to print); one per line.
DEMO_DEVICE_MODULES: tuple[str, ...] = (
    "backend.printing.demo",
    "hardware.card.demo",
    "backend.queue.demo",
    "backend.corelink.demo",
    "backend.agent_demo",
)

SCREENS = (
    ("窓口（職員）/ Staff console", "/staff/"),
    ("タブレット / Resident tablet", "/tablet/"),
    ("発券機 / Ticket machine", "/ticket/"),
    ("呼出表示 / Display board", "/display/"),
    ("バックオフィス / Back office", "/backoffice/"),
    ("管理画面 / Admin console", "/admin/"),
    ("窓口利用体験調査 / Journey report", "/report/"),
    ("API (OpenAPI)", "/openapi.json"),
    ("Health", "/healthz"),
)


DEMO_HISTORY_DAYS = 21  # three weeks of synthetic visits: the journey report shows at once


def prepare_database() -> None:
    migrate.upgrade(get_engine())
    with session_scope(unscoped=True, write=True) as session:
        tenant = seed_demo(session)
        seed_history(session, tenant.id, DEMO_HISTORY_DAYS)


def start_devices(stop: threading.Event) -> list[str]:
    lines = []
    for module_name in DEMO_DEVICE_MODULES:
        start: Callable[[threading.Event], str] = importlib.import_module(module_name).start_demo
        lines.append(start(stop))
    return lines


def print_banner(settings: Settings, device_lines: list[str]) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print("\nmadoguchi is running / 起動しました\n", flush=True)
    for label, path in SCREENS:
        print(f"  {label:<34} {base}{path}")
    print(f"\n  団体コード {DEMO_TENANT_CODE} / password: {DEMO_PASSWORD}")
    print("  users: " + ", ".join(f"{s.username} ({s.role.value})" for s in DEMO_STAFF))
    for line in device_lines:
        print(f"  {line}")
    print("\n  Ctrl-C で停止します / Ctrl-C stops everything.\n", flush=True)


DEMO_SHUTDOWN_SECONDS = 3  # Ctrl-C: 20 s before (a device's connection was awaited)


def run_demo(settings: Settings) -> None:
    prepare_database()
    stop = threading.Event()
    worker_thread = threading.Thread(
        target=worker.run_forever, args=(stop,), name="worker", daemon=True
    )
    worker_thread.start()
    device_lines = start_devices(stop) if settings.demo_devices else []
    config = uvicorn.Config(
        "backend.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        # Ctrl-C answers within seconds: a screen's long-poll (up to 25 s) is cut, not awaited.
        timeout_graceful_shutdown=DEMO_SHUTDOWN_SECONDS,
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)
    original_startup, original_shutdown = server.startup, server.shutdown

    async def startup_then_banner(sockets: object = None) -> None:
        await original_startup(sockets)  # type: ignore[arg-type]
        print_banner(settings, device_lines)

    async def devices_then_shutdown(sockets: object = None) -> None:
        stop.set()  # the demo's own devices hang up first: their connections held the shutdown
        await original_shutdown(sockets)  # type: ignore[arg-type]

    server.startup = startup_then_banner  # type: ignore[method-assign]
    server.shutdown = devices_then_shutdown  # type: ignore[method-assign]
    try:
        server.run()  # returns on Ctrl-C / SIGTERM after a graceful shutdown
    finally:
        stop.set()
        worker_thread.join(timeout=10)
        print("madoguchi stopped / 停止しました", flush=True)
