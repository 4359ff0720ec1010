"""`madoguchi seed` beside municipalities an operator added (the demo's office and staff are
found by tenant, not by a code or username another municipality also has)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.identity.staff.models import StaffAccount
from backend.identity.tenants.models import Office
from backend.identity.tenants.service import create_tenant
from backend.seed import DEMO_STAFF
from tests.helpers.cli_db import commands_database


def test_seed_runs_again_after_a_second_municipality_with_the_same_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.cli import build_app
    from backend.identity.auth.passwords import hash_password

    def second_municipality(session: Session) -> None:
        other = create_tenant(session, code="992003", name="見本市", actor="test")
        username = DEMO_STAFF[0].username
        session.add(
            StaffAccount(
                tenant_id=other.id, username=username, display_name="見本　職員",
                role="clerk", password_hash=hash_password("another-password-1"),
            )
        )  # fmt: skip

    with commands_database(tmp_path, monkeypatch, prepare=second_municipality) as engine:
        runner = CliRunner()
        for _ in range(2):  # the first seed and a second one
            done = runner.invoke(build_app(), ["seed", "--history-days", "2"])
            assert done.exit_code == 0, done.output
        with Session(engine) as session:
            session.info["unscoped"] = True
            offices = session.scalar(select(func.count()).select_from(Office))
            staff = session.scalar(select(func.count()).select_from(StaffAccount))
        assert offices == 2  # one 本庁舎 each
        assert staff == len(DEMO_STAFF) + 1
