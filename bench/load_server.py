"""The server side of ``bench/load.py``: its processes and their CPU time, and the webhook
receiver standing in for the back office.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import psutil

from integrations.receiver import DedupStore, WebhookReceiver

WEBHOOK_SECRET = "whsec_bG9hZC1iZW5jaC1zaWduaW5nLXNlY3JldC0zMmJ5dGVzIQ=="
"""The bench destination's signing secret (synthetic; the same every run, so that a
destination registered by an earlier run is reused)."""


def listening_pids(port: int) -> list[int]:
    """The topmost processes holding a listening TCP socket on ``port``: with ``serve --workers N``
    the supervisor, whose workers inherited the socket."""
    found = {
        conn.pid
        for conn in psutil.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid
    }
    return sorted({_topmost_listener(psutil.Process(pid), port).pid for pid in found})


def _topmost_listener(process: psutil.Process, port: int) -> psutil.Process:
    parent = process.parent()
    while parent is not None and _listens(parent, port):
        process, parent = parent, parent.parent()
    return process


def _listens(process: psutil.Process, port: int) -> bool:
    try:
        connections = process.net_connections(kind="tcp")
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections)


RENDER = "render"
SERVE = "serve"


def process_role(cmdline: list[str]) -> str:
    """``RENDER`` for a render process or the forkserver it comes from (the forkserver names
    itself on their command line), else ``SERVE``. Not any ``multiprocessing`` process:
    ``serve --workers N`` spawns its workers with ``multiprocessing.spawn``, and they serve.
    (Where there is no forkserver the render processes are spawned too and count as serve.)"""
    return RENDER if any("multiprocessing.forkserver" in part for part in cmdline) else SERVE


def tree_cpu_split(roots: Iterable[int]) -> dict[str, float]:
    """``tree_cpu_seconds`` by role (``process_role``): what serves requests and what renders
    forms. A reaped process's seconds count for its parent's role (the forkserver reaps the
    render processes)."""
    split = {SERVE: 0.0, RENDER: 0.0}
    for process in _family(roots):
        try:
            # With the children it reaped: a render process that ended, in its forkserver's.
            split[process_role(process.cmdline())] += _with_reaped(process.cpu_times())
        except psutil.NoSuchProcess:
            continue  # reaped meanwhile: counted in its parent's children_* from now on
    return split


EVENT_LOOP = "event_loop"
REQUEST_THREADS = "other_threads"


def serve_thread_split(roots: Iterable[int]) -> dict[str, float]:
    """The serving processes' own CPU seconds (their reaped children left out) split into the
    event loop's and the other threads': uvicorn runs the loop on a process's main thread,
    and the routes' work (``run_authorized``'s unit of work), the agent hub and the listener
    run on the others. The threads' part is the process's total less its main thread's, so a
    pool thread that ended (anyio retires idle ones after 10 s) still counts. With
    ``--workers N`` the supervisor serves too by role; its loop is all but idle."""
    split = {EVENT_LOOP: 0.0, REQUEST_THREADS: 0.0}
    for process in _family(roots):
        try:
            if process_role(process.cmdline()) != SERVE:
                continue
            times = process.cpu_times()
            main = next((t for t in process.threads() if t.id == process.pid), None)
        except psutil.NoSuchProcess:
            continue
        loop = float(main.user_time + main.system_time) if main is not None else 0.0
        split[EVENT_LOOP] += loop
        split[REQUEST_THREADS] += float(times.user + times.system) - loop
    return split


def _family(roots: Iterable[int]) -> Iterator[psutil.Process]:
    """Each root, then its descendants (listed after the caller has read the root). A process
    gone before it is listed is left out; one gone later raises ``NoSuchProcess`` to the
    caller, who skips it."""
    for pid in roots:
        try:
            root = psutil.Process(pid)
        except psutil.NoSuchProcess:
            continue
        yield root
        try:
            descendants = root.children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        yield from descendants


def _with_reaped(times: Any) -> float:
    """A process's own user + system seconds and those of the children it has reaped."""
    return float(times.user + times.system + times.children_user + times.children_system)


def tree_cpu_seconds(roots: Iterable[int]) -> float:
    """User + system CPU seconds of the processes and every descendant, alive or reaped: a
    worker that uvicorn restarts mid-run keeps its seconds (they move to its parent's
    ``children_*`` times when it is reaped)."""
    return sum(tree_cpu_split(roots).values())


def database_pids() -> list[int]:
    """PostgreSQL's server processes on this machine (the bench's node), for the node's account."""
    found = []
    for process in psutil.process_iter(["name"]):
        if (process.info.get("name") or "").startswith("postgres"):
            found.append(process.pid)
    return found


def processes_cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds of these processes only (connections come and go: a backend
    that ended inside the window is not counted, so the database's share is a lower bound)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


class NodeAccount:
    """Where the node's CPU went during the window: the server, the bench itself, PostgreSQL,
    the worker and everything else. On a 2-core node shared with the load generator this says
    whether the server or the node ran out of CPU (the ratio between 1 and 2 processes cannot
    exceed what the node has left after the bench and the database)."""

    def __init__(self) -> None:
        self.database = database_pids()
        self.node_before = _node_busy_seconds()
        self.bench_before = _own_cpu_seconds()
        self.database_before = processes_cpu_seconds(self.database)
        self.started = time.perf_counter()

    def finish(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        return {
            "node_busy_seconds": _node_busy_seconds() - self.node_before,
            "node_capacity_seconds": wall * (psutil.cpu_count() or 1),
            "bench_seconds": _own_cpu_seconds() - self.bench_before,
            "database_seconds": processes_cpu_seconds(self.database) - self.database_before,
        }


def _node_busy_seconds() -> float:
    times = psutil.cpu_times()  # guest time is already inside user on Linux
    busy = ("user", "nice", "system", "irq", "softirq", "steal")
    return sum(getattr(times, name, 0.0) for name in busy)


def _own_cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def with_children(pids: Iterable[int]) -> list[int]:
    """The processes and all their descendants, for the report."""
    found: set[int] = set()
    for pid in pids:
        try:
            process = psutil.Process(pid)
            found.add(pid)
            found.update(child.pid for child in process.children(recursive=True))
        except psutil.NoSuchProcess:
            continue
    return sorted(found)


class TimedStore(DedupStore):
    """The reference receiver's store, remembering when each visit's hand-off first arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}
        self.arrival = threading.Condition(self.lock)

    def add(self, msg_id: str, payload: dict[str, Any]) -> bool:
        stored = super().add(msg_id, payload)
        if stored:
            with self.arrival:
                self.arrived.setdefault(str(payload.get("visit_id")), time.perf_counter())
                self.arrival.notify_all()
        return stored

    def wait_for(self, visit_ids: set[str], timeout: float) -> set[str]:
        """Block until every visit in ``visit_ids`` arrived or ``timeout``; the ones missing."""
        deadline = time.monotonic() + timeout
        with self.arrival:
            while True:
                missing = visit_ids - self.arrived.keys()
                left = deadline - time.monotonic()
                if not missing or left <= 0:
                    return missing
                self.arrival.wait(min(left, 0.5))


def start_receiver(host: str, port: int) -> WebhookReceiver:
    """The back office: the reference receiver (signature checked, stored once per key)."""
    receiver = WebhookReceiver(WEBHOOK_SECRET, host=host, port=port)
    receiver.store = TimedStore()
    return receiver.start()
