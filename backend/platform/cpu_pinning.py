"""One CPU for each server process: its threads take turns on it, the other CPUs stay free.

A ``madoguchi serve`` process runs Python one thread at a time (the GIL), yet its threads (the
event loop, the request threads, the agent hub's) hand the GIL to each other at every database
round trip and every request, thousands of times a second. Spread over the CPUs by the kernel,
each hand-off wakes a thread on another CPU: under load a third of the process's CPU time went
to the kernel's task switching (perf, 64 counters: ``finish_task_switch`` 17 %, spin-unlocks of
the wake-ups 9 %). All threads of a process on one CPU hand over without waking another CPU,
and the other CPUs are left whole to PostgreSQL, the render processes and the other server
processes. Measured with ``bench/load.py`` (64 counters, pinned and free interleaved in one
run, docs/deployment.md): one process −27 % server CPU a visit and +50 % visits a second, two
processes −18 % and +30 %.

Each process takes the first CPU nobody else holds, by an exclusive lock on a slot file
(``cpu<N>.lock``) in a folder the node's server processes share; the kernel releases the lock
when the process ends, however it ends, so a restarted process finds its slot free. With more
processes than CPUs the extra ones are left to the kernel (today's behaviour, never two on one
CPU by choice). A process that sees one CPU only (a container with a cpuset) is not touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

SLOTS_FOLDER = "cpu-slots"
"""Under ``MADOGUCHI_DATA_DIR``: shared by the replicas of a node that share their data folder
(docker-compose.yml)."""

_held_slot: int | None = None  # the open slot file: its lock lasts as long as the process
_cpus_before: frozenset[int] | None = None


def allowed_cpus() -> frozenset[int]:
    """The CPUs this thread may run on (a container's cpuset, not the machine's count)."""
    return frozenset(os.sched_getaffinity(0))


def pin_to_free_cpu(slots_dir: Path) -> int | None:
    """Move every thread of this process onto the first CPU no other process holds; the CPU,
    or None when none is free, only one is allowed, or the slots folder cannot be locked."""
    global _held_slot, _cpus_before
    if _held_slot is not None:
        raise RuntimeError("this process is already pinned")
    cpus = allowed_cpus()
    if len(cpus) < 2:
        return None
    try:
        slots_dir.mkdir(parents=True, exist_ok=True)
        taken = _take_free_slot(slots_dir, sorted(cpus))
    except OSError as exc:  # a read-only or lock-less file system: left to the kernel
        logger.warning("CPU pinning off: cannot lock a slot in %s (%s)", slots_dir, exc)
        return None
    if taken is None:
        return None
    cpu, fd = taken
    _held_slot, _cpus_before = fd, cpus
    _pin_every_thread(frozenset({cpu}))
    return cpu


def cpus_before_pinning() -> frozenset[int] | None:
    """What this process was allowed before ``pin_to_free_cpu`` (None when not pinned): the
    render processes it starts go back to them, so that rendering uses the other CPUs."""
    return _cpus_before


def unpin(cpus: frozenset[int] | None) -> None:
    """This process's threads back on ``cpus`` (a render process started by a pinned server
    inherits its one CPU); nothing when None."""
    if cpus:
        _pin_every_thread(cpus)


def _take_free_slot(slots_dir: Path, cpus: list[int]) -> tuple[int, int] | None:
    for cpu in cpus:
        fd = os.open(slots_dir / f"cpu{cpu}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return cpu, fd
    return None


def _pin_every_thread(cpus: frozenset[int]) -> None:
    """Every thread already running, not only the caller (threads started later inherit the
    caller's CPUs)."""
    os.sched_setaffinity(0, cpus)
    with contextlib.suppress(FileNotFoundError):
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
                os.sched_setaffinity(int(task), cpus)
