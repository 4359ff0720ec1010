"""Each ``madoguchi serve`` process on a CPU of its own (``backend.platform.cpu_pinning``).

Every check runs in processes of its own: pinning changes the process it runs in, and the slot
locks belong to processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.helpers.net import free_port

ROOT = Path(__file__).resolve().parents[2]
CPUS = sorted(os.sched_getaffinity(0))

needs_two_cpus = pytest.mark.skipif(
    len(CPUS) < 2, reason="pinning is for machines with two CPUs or more; this one has one"
)

# A process that pins itself (a thread already running first), says what it got, then waits
# for its stdin to close.
PINNED = textwrap.dedent(
    """
    import json, os, sys, threading
    from pathlib import Path
    from backend.platform import cpu_pinning

    started = threading.Event()
    done = threading.Event()
    early = threading.Thread(target=lambda: (started.set(), done.wait()), daemon=True)
    early.start()
    started.wait()
    cpu = cpu_pinning.pin_to_free_cpu(Path(sys.argv[1]))
    threads = {
        task: sorted(os.sched_getaffinity(int(task))) for task in os.listdir("/proc/self/task")
    }
    print(json.dumps({"cpu": cpu, "threads": threads}), flush=True)
    sys.stdin.read()
    """
)


def _pinned_process(slots: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    process = subprocess.Popen(
        [sys.executable, "-c", PINNED, str(slots)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait(timeout=10)


@needs_two_cpus
def test_each_process_takes_a_cpu_nobody_holds_with_every_thread(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    taken = []
    for _ in CPUS:
        process, said = _pinned_process(tmp_path)
        processes.append(process)
        taken.append(said["cpu"])
        threads = said["threads"]
        assert isinstance(threads, dict) and len(threads) >= 2  # the early thread too
        assert all(cpus == [said["cpu"]] for cpus in threads.values()), threads
    assert sorted(taken) == CPUS

    extra, said = _pinned_process(tmp_path)  # more processes than CPUs: left to the kernel
    processes.append(extra)
    assert said["cpu"] is None
    assert all(cpus == CPUS for cpus in said["threads"].values())  # type: ignore[union-attr]


@needs_two_cpus
def test_the_slot_of_a_process_that_died_is_taken_again(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    first, said = _pinned_process(tmp_path)
    second, _ = _pinned_process(tmp_path)
    processes += [first, second]
    first.kill()  # SIGKILL: no clean-up of its own, the kernel drops the lock
    first.wait(timeout=10)

    restarted, again = _pinned_process(tmp_path)
    processes.append(restarted)
    assert again["cpu"] == said["cpu"]


def test_a_process_allowed_one_cpu_is_left_alone(tmp_path: Path) -> None:
    one = CPUS[-1]
    script = (
        f"import os; os.sched_setaffinity(0, {{{one}}}); "
        "from pathlib import Path; from backend.platform import cpu_pinning; "
        f"print(cpu_pinning.pin_to_free_cpu(Path({str(tmp_path / 'slots')!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "None"
    assert not (tmp_path / "slots").exists()


@needs_two_cpus
def test_render_processes_of_a_pinned_server_go_back_to_every_cpu(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, json
        from pathlib import Path
        os.environ["MADOGUCHI_RENDER_PROCESSES"] = "1"
        from backend.platform import cpu_pinning
        from backend.counter import rendering
        cpu = cpu_pinning.pin_to_free_cpu(Path({str(tmp_path)!r}))
        pool = rendering._executor()
        worker = pool.submit(os.sched_getaffinity, 0).result(timeout=60)
        rendering.shutdown_pool(wait=True)
        print(json.dumps({{"server": sorted(os.sched_getaffinity(0)), "render": sorted(worker)}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    said = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(said["server"]) == 1
    assert said["render"] == CPUS


def _serve(tmp_path: Path, pinning: str) -> subprocess.Popen[bytes]:
    port = free_port()
    env = {
        **os.environ,
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "MADOGUCHI_DATA_DIR": str(tmp_path / "var"),
        "MADOGUCHI_SERVE_CPU_PINNING": pinning,
        "MADOGUCHI_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "madoguchi"), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("madoguchi serve did not answer /healthz within 60 s")


def _server_processes(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The uvicorn worker processes (those holding the app: their command line runs uvicorn's
    subprocess entry), waited for until both have started."""
    deadline = time.monotonic() + 30
    while True:
        workers = [
            child
            for child in psutil.Process(server.pid).children()
            if "multiprocessing.spawn" in " ".join(child.cmdline())
        ]
        if len(workers) == 2 or time.monotonic() > deadline:
            return workers
        time.sleep(0.2)


@needs_two_cpus
@pytest.mark.slow
@pytest.mark.parametrize("pinning", ["true", "false"])
def test_serve_with_two_workers_puts_each_on_a_cpu_of_its_own(tmp_path: Path, pinning: str) -> None:
    server = _serve(tmp_path, pinning)
    try:
        workers = _server_processes(server)
        assert len(workers) == 2
        placed = [sorted(worker.cpu_affinity()) for worker in workers]
    finally:
        server.terminate()
        server.wait(timeout=30)
    if pinning == "true":
        assert sorted(cpus[0] for cpus in placed) == CPUS[:2]
        assert all(len(cpus) == 1 for cpus in placed)
    else:
        assert placed == [CPUS, CPUS]
