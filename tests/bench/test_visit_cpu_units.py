"""bench/visit_cpu.py --units: each unit of work's thread CPU, by route, only while counting."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import visit_cpu


def _spin(seconds: float, idle: float = 0.0) -> str:
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass
    time.sleep(idle)  # waiting (the database, a lock) is not the unit's CPU
    return "done"


def _request(method: str, path: str) -> Any:
    return SimpleNamespace(method=method, scope={"route": SimpleNamespace(path=path)})


def test_units_are_timed_by_route_on_their_own_thread_and_only_while_on() -> None:
    access = SimpleNamespace(_authorized_then=lambda request, *times: _spin(*times))
    timer = visit_cpu.UnitTimer()
    timer.install(access)

    access._authorized_then(_request("GET", "/a"), 0.05)  # not counting yet
    assert not timer.count

    timer.on = True
    results: list[str] = []
    unit = threading.Thread(
        target=lambda: results.append(access._authorized_then(_request("PATCH", "/b"), 0.2, 0.3))
    )
    unit.start()
    time.sleep(0.3)  # this thread's own wait is not the unit's
    unit.join()
    access._authorized_then(_request("PATCH", "/b"), 0.1)
    timer.on = False

    assert results == ["done"]  # the unit's result is handed back
    assert dict(timer.count) == {"PATCH /b": 2}
    assert 0.28 <= timer.seconds["PATCH /b"] < 0.45  # CPU, not the 0.3 s asleep
