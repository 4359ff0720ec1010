"""``madoguchi seed --history-days N`` and ``madoguchi journey report --json``: the JSON's shape,
and the exit codes (a bad date: 2 and one line; an unknown municipality: 1)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import build_app
from backend.journey.history import TOKYO
from tests.helpers.cli_db import commands_database

runner = CliRunner()


def test_seed_history_then_report_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with commands_database(tmp_path, monkeypatch, env={"MADOGUCHI_ENVIRONMENT": "development"}):
        seeded = runner.invoke(build_app(), ["seed", "--history-days", "7"])
        assert seeded.exit_code == 0, seeded.output
        again = runner.invoke(build_app(), ["seed", "--history-days", "7"])
        assert "history: 0 visits" in again.output  # days with visits are not filled twice
        today = dt.datetime.now(TOKYO).date()
        first = (today - dt.timedelta(days=7)).isoformat()
        args = ["journey", "report", "--tenant", "991007", "--json"]
        args += ["--from", first, "--to", today.isoformat()]
        result = runner.invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total"]["visits"] > 0
    moving_in = report["events"]["moving-in"]
    for key in ("visits", "counters_per_visit", "fields_prefilled"):
        assert isinstance(moving_in[key], int | float)
    assert set(moving_in["wait_minutes"]) >= {"median", "p90"}
    assert "median" in moving_in["service_minutes"]
    assert moving_in["baseline"]["surveys"] == 2  # the demo's walkthroughs
    assert set(moving_in["change"]) >= {"wait_minutes_median", "service_minutes_median"}


@pytest.mark.parametrize(
    "dates",
    [
        ["--from", "2026-13-01", "--to", "2026-12-31"],
        ["--from", "2026-12-02", "--to", "2026-12-01"],
    ],
)
def test_bad_dates_exit_2_with_one_line(dates: list[str]) -> None:
    result = runner.invoke(build_app(), ["journey", "report", "--tenant", "991007", *dates])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_unknown_tenant_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with commands_database(tmp_path, monkeypatch):
        args = [
            "journey",
            "report",
            "--tenant",
            "011002",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-02",
        ]
        result = runner.invoke(build_app(), args)
    assert result.exit_code == 1
    assert "011002" in result.output
