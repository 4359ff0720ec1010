"""Fixtures for the agent: a committed database (the hub works in its own transactions),
devices with tokens, and a real uvicorn server on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter
from backend.platform import db as db_module
from backend.platform import migrate
from backend.platform.agentlink.hub import AgentIdentity, Hub, reset_hub
from backend.platform.db import session_scope
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from tests.conftest import scratch_postgres_url
from tests.helpers.net import free_port

AGENT_TOKEN = "agent-token-for-tests-only"
TABLET_TOKEN = "tablet-token-for-tests-only"


@dataclass
class LiveDb:
    tenant_id: str
    counter_id: str
    agent: AgentIdentity
    tablet_id: str


def seed_live(url: str) -> LiveDb:
    """Migrate and seed the database at ``url`` (committed), with devices paired to counter 1."""
    engine = db_module.make_engine(url)
    migrate.upgrade(engine)
    previous = db_module._engine
    db_module.reset_engine(engine)
    try:
        with session_scope(unscoped=True) as session:
            tenant = seed_demo(session)
            counter = session.scalars(
                select(Counter).where(Counter.tenant_id == tenant.id, Counter.code == "1")
            ).one()
            agent = Device(
                tenant_id=tenant.id,
                kind=DeviceKind.AGENT.value,
                name="agent 1",
                counter_id=counter.id,
                token_hash=hash_token(AGENT_TOKEN),
            )
            tablet = Device(
                tenant_id=tenant.id,
                kind=DeviceKind.TABLET.value,
                name="tablet 1",
                counter_id=counter.id,
                token_hash=hash_token(TABLET_TOKEN),
            )
            session.add_all([agent, tablet])
            session.flush()
            return LiveDb(
                tenant.id,
                counter.id,
                AgentIdentity(agent.id, tenant.id, counter.id, agent.name),
                tablet.id,
            )
    finally:
        db_module.reset_engine(previous)
        engine.dispose()


@contextmanager
def using_database(url: str) -> Iterator[None]:
    """Point this process at the database at ``url`` for the block."""
    engine = db_module.make_engine(url)
    previous = db_module._engine
    db_module.reset_engine(engine)
    try:
        yield
    finally:
        db_module.reset_engine(previous)
        engine.dispose()


@pytest.fixture
def live_db(tmp_path: Path) -> Iterator[LiveDb]:
    """A migrated, seeded SQLite file that sessions commit to; devices paired to counter 1."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    live = seed_live(url)
    with using_database(url):
        yield live


@pytest.fixture(params=["sqlite", "postgres"])
def live_any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveDb]:
    """As ``live_db``, on SQLite and on a PostgreSQL database of its own (skipped without)."""
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'live.db'}"
        else:
            url = cleanup.enter_context(scratch_postgres_url("madoguchi_live"))
        live = seed_live(url)
        with using_database(url):
            yield live


@pytest.fixture
def hub() -> Hub:
    from backend.app import install_agent_link

    install_agent_link()  # devices and result handlers, as the app wires them at start
    return reset_hub()


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(port: int | None = None) -> LiveServer:
    from backend.app import create_app

    port = port or free_port()
    config = uvicorn.Config(
        create_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture
def live_server(live_db: LiveDb, hub: Hub) -> Iterator[LiveServer]:
    server = start_server()
    yield server
    server.stop()


def clerk_client(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
    )
    response.raise_for_status()
    client.headers["x-csrf-token"] = response.json()["csrf_token"]
    return client


def tablet_client(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, timeout=30, headers={"authorization": f"Bearer {TABLET_TOKEN}"}
    )
