"""bench/load_server.py: the server's CPU split into what serves requests and what renders
forms, by the processes' command lines."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import load_server


def _burn(seconds: float, done: multiprocessing.synchronize.Event) -> None:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass
    done.set()
    time.sleep(30)  # alive (not reaped) while the split is read


def test_a_forkserver_child_counts_as_rendering_and_this_process_as_serving() -> None:
    context = multiprocessing.get_context("forkserver")  # the render pool's start method
    done = context.Event()
    child = context.Process(target=_burn, args=(0.6, done), daemon=True)
    before = load_server.tree_cpu_split([os.getpid()])
    child.start()
    try:
        assert done.wait(60)
        after = load_server.tree_cpu_split([os.getpid()])
    finally:
        child.kill()
        child.join()
    assert set(after) == {"serve", "render"}
    assert after["render"] - before["render"] >= 0.5  # the child's burn, and not here
    assert load_server.tree_cpu_seconds([os.getpid()]) >= sum(after.values()) - 0.01


def test_roles_by_command_line() -> None:
    forkserver = ["python", "-c", "from multiprocessing.forkserver import main; main(3, 4)"]
    assert load_server.process_role(forkserver) == load_server.RENDER
    assert load_server.process_role(["madoguchi", "serve", "--port", "8000"]) == load_server.SERVE
    # `serve --workers 2`: uvicorn spawns its workers, which serve requests.
    worker = ["python", "-c", "from multiprocessing.spawn import spawn_main; spawn_main()"]
    assert load_server.process_role([*worker, "--multiprocessing-fork"]) == load_server.SERVE


def _spin(seconds: float) -> None:
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass


def test_the_serving_seconds_split_into_the_main_threads_loop_and_the_other_threads() -> None:
    import threading

    before = load_server.serve_thread_split([os.getpid()])
    _spin(0.4)  # on the main thread: where uvicorn runs the event loop
    middle = load_server.serve_thread_split([os.getpid()])
    worker = threading.Thread(target=_spin, args=(0.4,))
    worker.start()
    worker.join()  # ended: its seconds must still count
    after = load_server.serve_thread_split([os.getpid()])

    assert middle["event_loop"] - before["event_loop"] >= 0.35
    assert middle["other_threads"] - before["other_threads"] < 0.1
    assert after["other_threads"] - middle["other_threads"] >= 0.35
    assert after["event_loop"] - middle["event_loop"] < 0.1
