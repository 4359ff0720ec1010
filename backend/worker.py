"""``madoguchi worker``: runs the background jobs (outbox delivery, purges, schedules).

Each job is a callable taking nothing and returning how many items it handled; jobs come from
``JOB_MODULES`` (each exposing ``JOBS``). The loop sleeps only when a full round did nothing,
and wakes early when a commit in this process enqueued an outbox message.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

import backend.backoffice.service  # registers the outbox topic "workitem"
import backend.counter.handoff  # registers the outbox topic "handoff"
import backend.models  # noqa: F401 - every mapper configured before the first job
from backend.platform.outbox.service import enqueued
from backend.platform.settings import get_settings

log = logging.getLogger(__name__)

Job = Callable[[], int]

# Modules exposing ``JOBS: list[Job]``; keep one per line (merges stay easy).
JOB_MODULES: tuple[str, ...] = (
    "backend.platform.outbox.delivery",
    "backend.counter.retention",
    "backend.platform.audit.anchors",
    "backend.residents.jobs",
)


def load_jobs() -> list[Job]:
    jobs: list[Job] = []
    for module_name in JOB_MODULES:
        jobs.extend(importlib.import_module(module_name).JOBS)
    return jobs


def run_round(jobs: list[Job]) -> int:
    handled = 0
    for job in jobs:
        try:
            handled += job()
        except Exception:  # one failing job must not stop the others
            log.exception("worker job %s failed", getattr(job, "__name__", job))
    return handled


def run_forever(stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    jobs = load_jobs()
    poll = get_settings().worker_poll_seconds
    log.info("worker started with %d job(s)", len(jobs))
    while not stop.is_set():
        if run_round(jobs) == 0:
            _idle(stop, poll)
    log.info("worker stopped")


def _idle(stop: threading.Event, seconds: float) -> None:
    """Wait up to ``seconds``: less if stopped, or if a message was enqueued meanwhile."""
    step = min(seconds, 0.2)
    waited = 0.0
    while waited < seconds and not stop.is_set():
        if enqueued.wait(step):
            enqueued.clear()
            return
        waited += step
