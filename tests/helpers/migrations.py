"""A database for a migration test, at any revision: a new SQLite file or a scratch PostgreSQL
database (skipped when none is configured), and alembic run on it directly."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy.engine import Engine

from backend.platform import migrate
from backend.platform.db import make_engine
from tests.conftest import POSTGRES_URL, scratch_postgres_url


@contextlib.contextmanager
def fresh_engine(dialect: str, tmp_path: Path, scratch_name: str) -> Iterator[Engine]:
    """An empty database of ``dialect`` ("sqlite" or "postgres") for one test."""
    if dialect == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("MADOGUCHI_TEST_POSTGRES_URL is not set")
    with scratch_postgres_url(scratch_name) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def run_alembic(engine: Engine, action: str, revision: str) -> None:
    """``command.upgrade`` or ``command.downgrade`` to ``revision`` in one transaction."""
    with engine.begin() as connection:
        getattr(command, action)(migrate.alembic_config(connection=connection), revision)
