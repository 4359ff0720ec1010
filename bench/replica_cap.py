"""Cap each replica of a running ``madoguchi serve`` at a share of a CPU, as a container's CPU
limit would, to measure scale-out on a node too small to hold two uncapped replicas.

Usage (as root, beside a running server and ``bench/load.py``):
    .venv/bin/python bench/replica_cap.py --port 18200 --cpus 0.5

Each replica (with ``--workers N``, each worker; with one worker, the server process) goes with
its render processes into a cgroup of its own, ``madoguchi-replica<N>``, whose CPU quota is
``--cpus``. Render processes started later are added every ``--every`` seconds. Ctrl-C (or
SIGTERM) moves them back and removes the groups. cgroup v2 (``cpu.max``) and v1
(``cpu.cfs_quota_us``) are both handled.

Why: on one 2-core node the server, PostgreSQL and the load generator share the CPUs, so two
uncapped replicas cannot be compared with one (the node is full either way). With each replica
capped below half the node, one replica is the bottleneck in both runs, and the ratio of
visits/s (2 replicas : 1) is the scale-out of the design, not of the node.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench.load_server import listening_pids

GROUP_PREFIX = "madoguchi-replica"
PERIOD_MICROSECONDS = 100_000


class CpuGroups:
    """The CPU controller's folder (v2: the unified root; v1: ``/sys/fs/cgroup/cpu``)."""

    def __init__(self, root: Path = Path("/sys/fs/cgroup")) -> None:
        if (root / "cgroup.controllers").exists():
            self.base, self.v2 = root, True
        elif (root / "cpu" / "cpu.cfs_quota_us").exists():
            self.base, self.v2 = root / "cpu", False
        elif (root / "unified" / "cgroup.controllers").exists() and _v2_has_cpu(root / "unified"):
            self.base, self.v2 = root / "unified", True
        else:
            raise SystemExit(f"no cgroup CPU controller under {root}")

    def cap(self, name: str, cpus: float) -> Path:
        group = self.base / name
        group.mkdir(exist_ok=True)
        quota = max(1000, int(cpus * PERIOD_MICROSECONDS))
        if self.v2:
            (group / "cpu.max").write_text(f"{quota} {PERIOD_MICROSECONDS}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_MICROSECONDS))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        return group

    def move(self, group: Path, pids: list[int]) -> None:
        for pid in pids:
            try:
                (group / "cgroup.procs").write_text(str(pid))
            except (ProcessLookupError, OSError):  # ended meanwhile
                continue

    def release(self, group: Path) -> None:
        """Back to the root group, then the group removed."""
        procs = group / "cgroup.procs"
        pids = [int(line) for line in procs.read_text().split()] if procs.exists() else []
        self.move(self.base, pids)
        group.rmdir()


def _v2_has_cpu(root: Path) -> bool:
    return "cpu" in (root / "cgroup.controllers").read_text().split()


def replicas(port: int) -> list[psutil.Process]:
    """The processes serving ``port``: the workers of a ``--workers N`` supervisor, or the
    server itself."""
    found: list[psutil.Process] = []
    for pid in listening_pids(port):
        found.extend(replicas_of(psutil.Process(pid)))
    return found


def replicas_of(top: psutil.Process) -> list[psutil.Process]:
    """A supervisor's workers, or ``top`` itself when it serves alone. The multiprocessing
    helpers are not workers: a lone server's render pool (its forkserver) is its child, and
    taking it for a worker would leave the server itself uncapped."""
    workers = [child for child in top.children() if not _is_multiprocessing_helper(child)]
    return workers or [top]


def replica_tree(replica: psutil.Process) -> list[int]:
    """The replica and its descendants (the render pool), without a resource tracker."""
    try:
        children = replica.children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [replica.pid, *(c.pid for c in children if not _is_resource_tracker(c))]


def _is_multiprocessing_helper(process: psutil.Process) -> bool:
    return _cmdline_mentions(process, ("resource_tracker", "forkserver"))


def _is_resource_tracker(process: psutil.Process) -> bool:
    return _cmdline_mentions(process, ("resource_tracker",))


def _cmdline_mentions(process: psutil.Process, words: tuple[str, ...]) -> bool:
    try:
        return any(word in part for part in process.cmdline() for word in words)
    except psutil.Error:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the server's port")
    parser.add_argument("--cpus", type=float, required=True, help="CPU share of each replica")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between re-scans")
    args = parser.parse_args()
    groups = CpuGroups()
    running = {"on": True}
    signal.signal(signal.SIGTERM, lambda *_: running.update(on=False))
    made: list[Path] = []
    try:
        while running["on"]:
            for number, replica in enumerate(replicas(args.port)):
                if number == len(made):
                    made.append(groups.cap(f"{GROUP_PREFIX}{number}", args.cpus))
                    print(f"replica {number}: pid {replica.pid} capped at {args.cpus} CPU")
                groups.move(made[number], replica_tree(replica))
            time.sleep(args.every)
    except KeyboardInterrupt:
        pass
    finally:
        for group in made:
            groups.release(group)


if __name__ == "__main__":
    main()
