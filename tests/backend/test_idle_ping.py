"""Pooled PostgreSQL connections are pinged only after sitting idle (``db.ping_when_idle``):
a connection that died while idle is replaced before a request uses it; one in steady use is
not pinged at all (``pool_pre_ping`` cost a round trip on every request)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from backend.platform import db as db_module
from tests.conftest import POSTGRES_URL, require_service


@pytest.fixture
def engine() -> Iterator[Engine]:
    require_service(bool(POSTGRES_URL), "MADOGUCHI_TEST_POSTGRES_URL is not set")
    assert POSTGRES_URL is not None
    made = db_module.make_engine(POSTGRES_URL)
    yield made
    made.dispose()


def _pooled_backend_dies(engine: Engine) -> None:
    """The pool's one idle connection is killed from outside (a restart, a firewall)."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with engine.pool._creator() as killer:  # a connection outside the pool
        killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        killer.commit()


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)
    _pooled_backend_dies(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_connection_in_steady_use_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 3600.0)
    _pooled_backend_dies(engine)
    # Not idle long enough to be pinged: the first use finds it dead, and the pool recovers.
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
