"""The migration that seals existing PDFs and print data, and its downgrade, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.counter.models import Document
from backend.identity.devices.models import Device
from backend.platform.agentlink.models import AgentJob
from tests.helpers.migrations import fresh_engine as migration_engine
from tests.helpers.migrations import run_alembic

BEFORE = "8117fb05ddfd"
SEALED = "3c9e2d7a41f0"  # this migration; later ones change other columns
PDF = b"%PDF-1.7\n(" + "黒桐　幹也".encode("utf-16-be") + b") Tj\n%%EOF"
RECEIPT = b"\x1b@" + "黒桐　幹也".encode("cp932")


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migration_engine(request.param, tmp_path, "madoguchi_bytes") as engine:
        yield engine


def _raw(engine: Engine) -> tuple[bytes, bytes]:
    with engine.connect() as connection:
        content = connection.execute(text("SELECT content FROM documents")).scalar_one()
        data = connection.execute(text("SELECT data FROM agent_jobs")).scalar_one()
    return bytes(content), bytes(data)


def test_existing_plain_bytes_are_sealed_and_unsealed(fresh_engine: Engine) -> None:
    run_alembic(fresh_engine, "upgrade", BEFORE)
    with Session(fresh_engine, info={"unscoped": True}) as session:
        # The tenant and the visit as the schema of BEFORE holds them (today's models have
        # later columns: the tenant's follow_shows_outcome, the visit's encrypted facts).
        tenant_id = "t" * 32
        now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).isoformat()
        session.execute(
            text("INSERT INTO tenants (id, code, name, timezone, retention_days, created_at,"
                 " updated_at) VALUES (:t, '991007', '窓口デモ市', 'Asia/Tokyo', 30, :n, :n)"),
            {"t": tenant_id, "n": now},
        )  # fmt: skip
        session.execute(
            text("INSERT INTO visits (id, tenant_id, status, facts, certificates, created_at,"
                 " updated_at) VALUES ('v1', :t, 'open', '{}', '[]', :n, :n)"),
            {"t": tenant_id, "n": now},
        )  # fmt: skip
        device = Device(tenant_id=tenant_id, kind="printer", name="p1")
        session.add(device)
        session.flush()
        session.add(
            Document(
                tenant_id=tenant_id,
                visit_id="v1",
                form="f",
                filename="f.pdf",
                content_type="application/pdf",
                sha256="0" * 64,
            )
        )
        session.add(AgentJob(tenant_id=tenant_id, device_id=device.id, kind="print"))
        session.commit()
    with fresh_engine.begin() as connection:  # rows as the old code wrote them: plain bytes
        connection.execute(text("UPDATE documents SET content = :v"), {"v": PDF})
        connection.execute(text("UPDATE agent_jobs SET data = :v"), {"v": RECEIPT})
    assert _raw(fresh_engine) == (PDF, RECEIPT)

    run_alembic(fresh_engine, "upgrade", SEALED)
    content, data = _raw(fresh_engine)
    assert content.startswith(b"v1:") and data.startswith(b"v1:")
    assert b"%PDF" not in content and "黒桐".encode("cp932") not in data
    with Session(fresh_engine, info={"unscoped": True}) as session:
        assert session.scalars(select(Document.content)).one() == PDF
        assert session.scalars(select(AgentJob.data)).one() == RECEIPT

    run_alembic(fresh_engine, "downgrade", BEFORE)
    assert _raw(fresh_engine) == (PDF, RECEIPT)
    run_alembic(fresh_engine, "upgrade", SEALED)  # and up again: sealed once, not twice
    with Session(fresh_engine, info={"unscoped": True}) as session:
        assert session.scalars(select(Document.content)).one() == PDF
