"""bench/replica_cap.py writes a replica's CPU cap as each cgroup version reads it, and finds a
server's replicas (the workers, not the supervisor or its resource tracker). The cgroup folder
is a fake one: the bench itself needs root."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from bench.replica_cap import CpuGroups, replica_tree, replicas_of


def _v1(root: Path) -> Path:
    cpu = root / "cpu"
    cpu.mkdir(parents=True)
    (cpu / "cpu.cfs_quota_us").write_text("-1")
    (cpu / "cgroup.procs").write_text("")
    return cpu


def test_v1_caps_with_a_quota_and_a_period_and_moves_the_processes(tmp_path: Path) -> None:
    cpu = _v1(tmp_path)
    groups = CpuGroups(tmp_path)
    group = groups.cap("madoguchi-replica0", 0.45)
    assert group == cpu / "madoguchi-replica0"
    assert (group / "cpu.cfs_period_us").read_text() == "100000"
    assert (group / "cpu.cfs_quota_us").read_text() == "45000"
    groups.move(group, [4242])
    assert (group / "cgroup.procs").read_text() == "4242"


def test_v2_caps_with_cpu_max(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids")
    group = CpuGroups(tmp_path).cap("madoguchi-replica1", 0.5)
    assert (group / "cpu.max").read_text() == "50000 100000"


def test_a_folder_without_a_cpu_controller_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no cgroup CPU controller"):
        CpuGroups(tmp_path)


def _children_once_started(
    process: psutil.Process, count: int, marker: str = ""
) -> list[psutil.Process]:
    """The children whose command line holds ``marker``, once there are ``count`` of them."""
    for _ in range(200):
        children = [c for c in process.children() if marker in " ".join(c.cmdline())]
        if len(children) >= count:
            return children
        psutil.wait_procs([], timeout=0.05)
    raise AssertionError(f"{process.pid} has not started {count} children with {marker!r}")


@contextmanager
def _python(script: str) -> Iterator[psutil.Process]:
    """``script`` running in a Python of its own; it and its descendants killed at the end."""
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        yield psutil.Process(process.pid)
    finally:
        for child in psutil.Process(process.pid).children(recursive=True):
            child.kill()
        process.kill()
        process.wait()


def test_a_replica_is_taken_with_its_descendants() -> None:
    sleeper = "import time; time.sleep(30)"
    script = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {sleeper!r}]); time.sleep(30)"  # noqa: E501
    with _python(script) as process:
        _children_once_started(process, 1)
        taken = replica_tree(process)
        assert taken[0] == process.pid
        assert {c.pid for c in process.children(recursive=True)} <= set(taken) and len(taken) == 2


def test_a_lone_server_with_a_forkserver_render_pool_is_its_own_replica() -> None:
    """The render pool of ``serve --workers 1`` hangs from the server: a forkserver and a
    resource tracker. Taking the forkserver for a worker left the server uncapped."""
    script = (
        "import multiprocessing as mp, time\n"
        "pool = mp.get_context('forkserver').Pool(1)\n"
        "pool.apply(int)\n"
        "time.sleep(30)\n"
    )
    with _python(script) as server:
        _children_once_started(server, 2)  # the forkserver and the resource tracker
        assert [replica.pid for replica in replicas_of(server)] == [server.pid]


def test_a_supervisors_spawned_workers_are_the_replicas() -> None:
    script = (
        "import multiprocessing as mp, time\n"
        "if __name__ == '__main__':\n"
        "    context = mp.get_context('spawn')\n"
        "    workers = [context.Process(target=time.sleep, args=(30,)) for _ in range(2)]\n"
        "    for worker in workers:\n"
        "        worker.start()\n"
        "    time.sleep(30)\n"
    )
    with _python(script) as supervisor:
        spawned = {c.pid for c in _children_once_started(supervisor, 2, marker="spawn_main")}
        assert {replica.pid for replica in replicas_of(supervisor)} == spawned
