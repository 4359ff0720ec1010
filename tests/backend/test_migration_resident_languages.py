"""The migration giving queues their names in zh-Hans / ko / vi / pt: the demo's queues are
backfilled, a municipality's own queue is left for its admin, and the downgrade drops them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from tests.helpers.migrations import fresh_engine as migration_engine
from tests.helpers.migrations import run_alembic

BEFORE = "487f0bc2625b"
LANGUAGES = "5a7c3e91d2b4"
NOW = "2026-12-04T12:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migration_engine(request.param, tmp_path, "madoguchi_langs") as engine:
        yield engine


def _queue(connection, queue_id: str, prefix: str, name_ja: str, name_en: str) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text("INSERT INTO queues (id, tenant_id, office_id, prefix, name_ja, name_en, sort_order,"
             " default_service_minutes, active, max_calls, created_at, updated_at)"
             " VALUES (:id, 't1', 'o1', :p, :ja, :en, 0, 10, TRUE, 3, :n, :n)"),
        {"id": queue_id, "p": prefix, "ja": name_ja, "en": name_en, "n": NOW},
    )  # fmt: skip


def _names(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name_translations FROM queues")).all()
    return {row[0]: row[1] if isinstance(row[1], dict) else json.loads(row[1]) for row in rows}


def test_the_demo_queues_get_their_names_and_others_stay_empty(fresh_engine: Engine) -> None:
    run_alembic(fresh_engine, "upgrade", BEFORE)
    with fresh_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO tenants (id, code, name, timezone, retention_days, created_at,"
                 " updated_at) VALUES ('t1', '991007', '窓口デモ市', 'Asia/Tokyo', 30, :n, :n)"),
            {"n": NOW},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO offices (id, tenant_id, code, name, opens_at, closes_at,"
                 " created_at, updated_at) VALUES ('o1', 't1', 'main', '本庁舎', '08:30',"
                 " '17:15', :n, :n)"),
            {"n": NOW},
        )  # fmt: skip
        _queue(connection, "qb", "B", "証明書", "Certificates")
        _queue(connection, "qd", "D", "税", "Taxes")
    run_alembic(fresh_engine, "upgrade", LANGUAGES)
    names = _names(fresh_engine)
    assert names["qb"] == {"zh-Hans": "证明书", "ko": "증명서", "vi": "Giấy chứng nhận",
                           "pt": "Certidões"}  # fmt: skip
    assert names["qd"] == {}
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT lang FROM tickets")).all() == []

    run_alembic(fresh_engine, "downgrade", BEFORE)
    columns = {c["name"] for c in inspect(fresh_engine).get_columns("queues")}
    assert "name_translations" not in columns and "name_ja" in columns
    assert "resident_lang" not in {c["name"] for c in inspect(fresh_engine).get_columns("visits")}
