"""bench/load.py runs against a real server (SQLite, seeded, with its worker) and reports what
issue 17 asks for; it refuses a server it cannot use with exit code 2. No timing is asserted:
the figures themselves are the bench's business."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port, server_env, stop_server

ROOT = Path(__file__).resolve().parents[2]
LOAD = ROOT / "bench" / "load.py"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def run_load(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOAD), "--url", url, "--webhook-port", "0", *extra],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def start_server(database_url: str, *, seed: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    """Migrate (and seed) a database and serve it; patient, since the machine may be busy."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(database_url, url)
    subprocess.run([BIN / "madoguchi", "db", "upgrade"], env=env, check=True, capture_output=True)
    if seed:
        subprocess.run([BIN / "madoguchi", "seed"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [BIN / "madoguchi", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2, trust_env=False).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"the server did not answer /healthz (exit code {process.poll()})")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A seeded server and its worker (the worker delivers the webhooks): (url, server pid)."""
    database = f"sqlite:///{tmp_path_factory.mktemp('load') / 'load.db'}"
    process, url = start_server(database)
    worker = subprocess.Popen(
        [BIN / "madoguchi", "worker"],
        env=server_env(database, url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield url, process.pid
    stop_server(worker)
    stop_server(process)


def test_two_counters_complete_visits_and_the_json_has_every_figure(
    server: tuple[str, int],
) -> None:
    url, pid = server
    done = run_load(url, "--counters", "2", "--seconds", "2", "--warmup", "0", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)

    for key in ("visits_per_second", "server_cpu_seconds_per_visit", "healthz_ratio"):
        assert key in result
    assert isinstance(result["errors"], int)
    assert result["errors"] == sum(result["error_kinds"].values())
    assert pid in result["server_pids"]  # found by the URL's port
    # Every counter started a visit at once and finished it after the window.
    assert result["visits_total"] >= 1
    assert result["webhooks"] == {
        "expected": result["visits_total"],
        "delivered": result["visits_total"],
    }
    assert result["card_reads"]["lost"] == 0
    assert result["card_reads"]["done"] >= result["visits_total"]
    # The node's account: the bench itself used CPU, and the node was busy for some of it.
    node = result["node"]
    assert 0 < node["busy_percent"] <= 100
    assert set(node["cpu_seconds_per_visit"]) == {"server", "bench", "database", "worker", "other"}
    roles = result["server_cpu_seconds_per_visit_by_role"]
    assert set(roles) == {"serve", "render"}
    if result["server_cpu_seconds_per_visit"] is not None:
        total = result["server_cpu_seconds_per_visit"]
        assert sum(roles.values()) == pytest.approx(total, abs=2e-4)
    threads = result["server_cpu_seconds_per_visit_by_thread"]
    assert set(threads) == {"event_loop", "other_threads"}
    if roles["serve"] is not None:  # the serving processes' own seconds, split by thread
        assert sum(threads.values()) <= roles["serve"] + 2e-4
    # Steps are timed inside the window only: the first requests of a visit and the probe.
    assert {"staff.call_next", "ticket.issue", "healthz"} <= result["steps"].keys()
    for summary in result["steps"].values():
        assert summary["count"] >= 1
        assert 0 < summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"]


def test_the_text_report_names_the_headline_figures(server: tuple[str, int]) -> None:
    url, _ = server
    done = run_load(url, "--counters", "1", "--seconds", "1", "--warmup", "0")
    assert done.returncode == 0, done.stderr
    words_expected = ("visits", "server CPU", "webhooks", "/healthz ratio", "staff.call_next")
    words_expected += ("node", "server CPU roles", "serve by thread")
    for words in words_expected:
        assert words in done.stdout


def test_an_unreachable_server_is_exit_2_with_a_message() -> None:
    done = run_load(f"http://127.0.0.1:{free_port()}", "--counters", "1", "--seconds", "1")
    assert done.returncode == 2
    assert "unreachable" in done.stderr


def test_a_server_that_was_not_seeded_is_exit_2_with_a_message(tmp_path: Path) -> None:
    process, url = start_server(f"sqlite:///{tmp_path / 'empty.db'}", seed=False)
    try:
        done = run_load(url, "--counters", "1", "--seconds", "1")
    finally:
        stop_server(process)
    assert done.returncode == 2
    assert "madoguchi seed" in done.stderr
