"""Shared fixtures: the database on SQLite and PostgreSQL, an API client, service checks.

The schema is built by alembic once per database per run; each test runs inside a transaction
that is rolled back. With ``MADOGUCHI_TEST_POSTGRES_URL`` set (CI sets it), every test using
``db`` runs on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

os.environ.setdefault("MADOGUCHI_ENVIRONMENT", "test")
os.environ.setdefault("MADOGUCHI_RENDER_PROCESSES", "0")  # forms render in the test process

from backend.platform import db as db_module
from backend.platform import migrate
from tests.helpers import axe

# Captures every log record of the run and scans it for synthetic personal data at the end.
pytest_plugins = ["security_logscan"]

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("MADOGUCHI_TEST_POSTGRES_URL")


def require_service(available: bool, reason: str) -> None:
    """Skip a test whose service is missing, except under CI, where that is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true and a required service is missing: {reason}", pytrace=False)
    pytest.skip(reason)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module, shared by its tests and closed after them: Playwright's
    sync API allows one instance per thread and, while one is open, keeps an event loop running
    in it (a later test's ``asyncio.run`` would fail).

    Every page made through it is checked by axe-core (tests/helpers/axe.py) before it
    navigates away or closes: a serious or critical violation fails the test."""
    require_service(
        shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(),
        f"{CHROMIUM} is not installed",
    )
    require_service(axe.AXE_JS.exists(), f"{axe.AXE_JS} is missing (run scripts/bootstrap.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield axe.CheckedBrowser(instance)
        instance.close()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    axe.enable_checks(True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Once a test has failed, its pages are not checked by axe at teardown (one failure at a
    time: the screen may be anywhere)."""
    report = yield
    if report.when == "call" and report.failed:
        axe.enable_checks(False)
    return report


# The tests that drive the virtual card reader (pcscd + vpcd) or Chromium are marked ``serial``:
# `make test` runs them in one process and everything else in another, side by side (they share
# the reader's slots and would race for a card; the rest have their own databases and ports).
SERIAL_DIRECTORIES = ("e2e", "hardware")
SERIAL_MARKERS = ("pcsc", "browser")


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        directory = Path(item.path).relative_to(Path(__file__).parent).parts[0]
        serial = directory in SERIAL_DIRECTORIES
        if serial or any(item.get_closest_marker(name) for name in SERIAL_MARKERS):
            item.add_marker(pytest.mark.serial)


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if (POSTGRES_URL or IN_CI) else ["sqlite"]


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hasher() -> Iterator[None]:
    """argon2id at test cost: production's ~0.4 s a hash would dominate the API tests."""
    from argon2 import PasswordHasher

    from backend.identity.auth import passwords

    previous = passwords.set_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    passwords.set_hasher(previous)


@pytest.fixture(scope="session", autouse=True)
def core_system_simulator() -> Iterator[str]:
    """A core 住民記録 simulator for the run, as ``make run`` has one (outage tests override)."""
    from backend.platform.settings import get_settings
    from integrations.core.simulator import start_in_thread

    server = start_in_thread()
    # Both the environment (for settings rebuilt by a test) and the cached settings.
    os.environ["MADOGUCHI_CORE_URL"] = server.url
    get_settings().core_url = server.url
    yield server.url
    del os.environ["MADOGUCHI_CORE_URL"]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    engine = db_module.make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@contextmanager
def scratch_postgres_url(prefix: str) -> Iterator[str]:
    """The URL of a PostgreSQL database of our own, created here and dropped afterwards.

    Parallel runs and tests that commit never see each other's rows. Skips (fails under CI)
    when PostgreSQL is not configured or not reachable.
    """
    require_service(bool(POSTGRES_URL), "MADOGUCHI_TEST_POSTGRES_URL is not set")
    assert POSTGRES_URL is not None
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        require_service(False, f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    with scratch_postgres_url("madoguchi_test") as url:
        engine = db_module.make_engine(url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(scope="session", params=_backends())
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(f"{request.param}_engine")


@contextmanager
def _rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back at the end (commits are savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    session.info["unscoped"] = True
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with _rolled_back_session(engine) as session:
        yield session


@pytest.fixture
def pg_db(postgres_engine: Engine) -> Iterator[Session]:
    """As ``db``, on PostgreSQL only: for what only PostgreSQL has (advisory locks, NOTIFY)."""
    with _rolled_back_session(postgres_engine) as session:
        yield session


@pytest.fixture
def client(db: Session, engine: Engine) -> Iterator[TestClient]:
    """The app with every request using the test's session (flushed, never committed)."""
    from backend.app import create_app
    from backend.platform import request_memo
    from backend.platform.audit import service as audit
    from backend.platform.deps import get_session

    def test_session() -> Iterator[Session]:
        db.info["tenant_id"] = None
        db.info["unscoped"] = False
        request_memo.keep_loaded_rows(db)  # as deps.session_unit does for a request
        try:
            yield db
            audit.write_pending(db)  # as the request's commit would (the test never commits)
            db.flush()
        finally:
            db.info["unscoped"] = True
            request_memo.release_loaded_rows(db)  # the request is over, as its session would be

    previous = db_module._engine
    db_module.reset_engine(engine)
    app = create_app()
    app.dependency_overrides[get_session] = test_session
    with TestClient(app) as test_client:
        yield test_client
    db_module.reset_engine(previous)
