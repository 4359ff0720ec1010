"""The server side of ``bench/load.py``: its processes and their CPU time, and the webhook
receiver standing in for the back office.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import psutil

from integrations.receiver import DedupStore, WebhookReceiver

WEBHOOK_SECRET = "whsec_bG9hZC1iZW5jaC1zaWduaW5nLXNlY3JldC0zMmJ5dGVzIQ=="
"""The bench destination's signing secret (synthetic; the same every run, so that a
destination registered by an earlier run is reused)."""


def listening_pids(port: int) -> list[int]:
    """The processes holding a listening TCP socket on ``port`` (uvicorn's workers share it)."""
    pids = {
        conn.pid
        for conn in psutil.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid
    }
    return sorted(pids)


def with_children(pids: Iterable[int]) -> list[int]:
    """The processes and all their descendants (``serve --workers N`` forks its workers)."""
    found: set[int] = set()
    for pid in pids:
        try:
            process = psutil.Process(pid)
            found.add(pid)
            found.update(child.pid for child in process.children(recursive=True))
        except psutil.NoSuchProcess:
            continue
    return sorted(found)


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds the processes used so far (a process gone counts 0)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


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
