"""Fixtures for the outbox: a database the worker can commit to, visits, destinations, and a
loopback webhook receiver that deduplicates by ``webhook-id``."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.counter.handoff import enqueue_handoff
from backend.counter.models import Visit
from backend.platform import db as db_module
from backend.platform import migrate
from backend.platform.db import session_scope
from backend.platform.outbox import service
from backend.platform.outbox.models import Destination, OutboxMessage
from backend.platform.outbox.schemas import DestinationCreate
from backend.seed import seed_demo
from integrations.receiver import WebhookReceiver
from tests.conftest import _backends, require_service, scratch_postgres_url
from tests.helpers.net import free_port

SECRET = "whsec_" + "b3V0Ym94LXRlc3Qtc2VjcmV0LWZvci1tYWRvZ3VjaGk="

RECORD: dict[str, Any] = {
    "schema": "madoguchi.visit/1",
    "tenant": {"code": "991007", "name": "窓口デモ市"},
    "event": "moving-in",
    "event_date": "2026-11-20",
    "filed_on": "2026-11-24",
    "new_address": "窓口デモ市本町一丁目２番３号",
    "members": [{"name": "窓口　太郎", "birth_date": "1985-04-01", "sex": "1", "source": "card"}],
}


@dataclass
class Database:
    url: str
    engine: Engine
    tenant_id: str


@pytest.fixture(params=_backends())
def committed_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated, seeded database that the worker code (session_scope) commits to."""
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'outbox.db'}"
        else:
            url = cleanup.enter_context(scratch_postgres_url("madoguchi_outbox"))
        yield from _seeded_database(url)


def _seeded_database(url: str) -> Iterator[Database]:
    engine = db_module.make_engine(url)
    migrate.upgrade(engine)
    previous = db_module._engine
    db_module.reset_engine(engine)
    with session_scope(unscoped=True) as session:
        tenant_id = seed_demo(session).id
        # Each test configures its own destinations; the demo's would add messages.
        session.execute(delete(Destination))
    yield Database(url, engine, tenant_id)
    db_module.reset_engine(previous)
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(SECRET).start()
    yield server
    server.stop()


def add_destination(session: Session, tenant_id: str, **values: Any) -> Destination:
    session.info["tenant_id"] = tenant_id
    body = DestinationCreate.model_validate(values)
    return service.create_destination(session, tenant_id, body, actor="test")


def webhook_destination(url: str, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "webhook",
        "kind": "webhook",
        "config": {"url": url},
        "secret": SECRET,
        "timeout_seconds": 2,
        "backoff_base_seconds": 0.05,
        "backoff_max_seconds": 0.2,
    }
    values.update(extra)
    return values


def close_visits(
    session: Session, tenant_id: str, count: int, documents: list[Any] | None = None
) -> list[OutboxMessage]:
    """Open and close ``count`` visits, handing each off, as the counter flow will."""
    session.info["tenant_id"] = tenant_id
    messages: list[OutboxMessage] = []
    for _ in range(count):
        visit = Visit(tenant_id=tenant_id, status="closed", event="moving-in",
                      closed_at=dt.datetime.now(dt.UTC))  # fmt: skip
        session.add(visit)
        session.flush()
        messages += enqueue_handoff(session, visit, RECORD, documents or [])
    return messages


@pytest.fixture
def handoff_helpers() -> Any:
    """The helpers above, for tests (test modules cannot import a conftest by name)."""

    @dataclass(frozen=True)
    class Helpers:
        secret: str = SECRET
        record: dict[str, Any] = None  # type: ignore[assignment]

        add_destination = staticmethod(add_destination)
        webhook_destination = staticmethod(webhook_destination)
        close_visits = staticmethod(close_visits)
        require = staticmethod(require_service)

    return Helpers(record=RECORD)


@pytest.fixture
def live_server(committed_db: Any) -> Iterator[str]:
    """The app served over HTTP on a free port, on the committed database (for Chromium)."""
    from backend.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
