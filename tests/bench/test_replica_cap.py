"""bench/replica_cap.py writes a replica's CPU cap as each cgroup version reads it, and finds a
server's replicas (the workers, not the supervisor or its resource tracker). The cgroup folder
is a fake one: the bench itself needs root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from bench.replica_cap import CpuGroups, replica_tree


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


def test_a_replica_is_taken_with_its_descendants() -> None:
    sleeper = "import time; time.sleep(30)"
    script = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {sleeper!r}]); time.sleep(30)"  # noqa: E501
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        process = psutil.Process(parent.pid)
        for _ in range(100):
            if process.children():
                break
            psutil.wait_procs([], timeout=0.05)
        taken = replica_tree(process)
        assert taken[0] == parent.pid
        assert {c.pid for c in process.children(recursive=True)} <= set(taken) and len(taken) == 2
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()
