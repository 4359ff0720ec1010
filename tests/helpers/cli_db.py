"""A migrated SQLite database of its own for tests that run ``madoguchi`` commands.

The commands open the process-wide engine from the settings, so the test points both at its
file (``MADOGUCHI_DATABASE_URL`` and ``db.reset_engine``) and puts the previous ones back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session


@contextmanager
def commands_database(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prepare: Callable[[Session], object] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Engine]:
    """``prepare`` runs in an unscoped session that is committed before the commands see it;
    ``env`` sets more settings (read fresh: the settings cache is cleared)."""
    from backend.platform import db as db_module
    from backend.platform import migrate
    from backend.platform.settings import get_settings

    url = f"sqlite:///{tmp_path / 'commands.db'}"
    engine = db_module.make_engine(url)
    migrate.upgrade(engine)
    if prepare is not None:
        with Session(engine) as session:
            session.info["unscoped"] = True
            prepare(session)
            session.commit()
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", url)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    previous = db_module._engine
    db_module.reset_engine(engine)
    try:
        yield engine
    finally:
        db_module.reset_engine(previous)
        get_settings.cache_clear()
        engine.dispose()
