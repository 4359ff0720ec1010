"""Browser tests: a real uvicorn server (own SQLite database, migrated and seeded) and Chromium.

Shared by every screen's browser tests: ``live_server`` (base URL), ``browser``, ``page``.
Screenshots go to tests/e2e/artifacts/ (gitignored). Under CI=true a missing Chromium or a
server that does not start is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, base_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MADOGUCHI_DATABASE_URL=database_url,
        MADOGUCHI_ENVIRONMENT="development",
        MADOGUCHI_PUBLIC_URL=base_url,
        MADOGUCHI_LOG_LEVEL="WARNING",
    )
    return env


def start_server(database_url: str, *, seed: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    """Migrate (and seed) ``database_url`` and serve it on a free loopback port."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = server_env(database_url, base_url)
    subprocess.run([BIN / "madoguchi", "db", "upgrade"], env=env, check=True, capture_output=True)
    if seed:
        subprocess.run([BIN / "madoguchi", "seed"], env=env, check=True, capture_output=True)
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [BIN / "madoguchi", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("server did not answer /healthz within 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running backend on its own migrated + seeded SQLite database."""
    path = tmp_path_factory.mktemp("live") / "live.db"
    try:
        process, base_url = start_server(f"sqlite:///{path}")
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        require_service(False, f"the backend server could not start: {exc}")
        raise
    yield base_url
    stop_server(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_service(
        shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(),
        f"{CHROMIUM} is not installed",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot of the end state is kept in artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
