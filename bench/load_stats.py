"""Bookkeeping of ``bench/load.py``: latencies per step, errors by kind, the printed report.

Latencies count only inside the measurement window (after the warm-up, before the drain);
errors count whenever they happen, since an error in the drain is an error all the same.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

SLOW_SECONDS = 5.0
"""A request (not a long-poll) slower than this is counted as a stall."""
LONG_POLLS = frozenset(
    {
        "card_wait",
        "staff.card_wait",  # the step as recorded (screen.step)
        "tablet.current_wait",
        "staff.agent_status_wait",
        "staff.tablet_status_wait",
        "staff.signature_wait_wait",
    }
)
"""Steps that wait by design (the job long-poll, the tablet's view, the console's devices and
signature wait); never counted as stalls, their latency reported apart."""
COMPOSITE_STEPS = frozenset({"visit", "card", "signature", "webhook", "healthz"})
"""Steps that are not one request of a screen (a whole visit, a card read, a probe…)."""


@dataclass
class Recorder:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    measuring: bool = False
    requests: int = 0
    stalls: int = 0

    def record(self, step: str, seconds: float) -> None:
        if not self.measuring:
            return
        self.samples[step].append(seconds)
        if step not in COMPOSITE_STEPS:
            self.requests += 1
            if seconds > SLOW_SECONDS and step not in LONG_POLLS:
                self.stalls += 1

    def error(self, kind: str) -> None:
        self.errors[kind] += 1

    def note(self, kind: str) -> None:
        """Something worth showing that is not an error (e.g. nobody waiting at a call)."""
        self.notes[kind] += 1


class Timer:
    """``with Timer(recorder, "step"):`` records the block's wall time."""

    def __init__(self, recorder: Recorder, step: str) -> None:
        self.recorder = recorder
        self.step = step
        self.started = 0.0

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.recorder.record(self.step, time.perf_counter() - self.started)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (not empty), q in (0, 100]."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def step_summary(values: list[float]) -> dict[str, Any]:
    """count, p50, p95, p99 and max in milliseconds."""
    ms = [v * 1000 for v in values]
    return {
        "count": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
    }


def request_median(recorder: Recorder) -> float | None:
    """Median latency over every request the screens made (composites and long-polls left out)."""
    values = [
        v
        for step, vs in recorder.samples.items()
        if step not in COMPOSITE_STEPS and step not in LONG_POLLS
        for v in vs
    ]
    return percentile(values, 50) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def format_report(result: dict[str, Any]) -> str:
    """The human-readable report: headline figures, then one line per step."""
    lines = [
        f"madoguchi load: {result['counters']} counters, {result['seconds']} s "
        f"against {result['url']}",
        f"  visits            {result['visits']} ({result['visits_per_second']} /s), "
        f"{result['requests_per_visit']} requests a visit "
        f"({result['staff_requests_per_visit']} from the staff console)",
        f"  server CPU        {_fmt(result['server_cpu_seconds_per_visit'])} s a visit "
        f"({_fmt(result['server_cpu_seconds'])} s over pids {result['server_pids']})",
    ]
    for split, label, meaning in (
        ("by_role", "server CPU roles", "render: the forms' processes"),
        ("by_thread", "serve by thread", "the serving processes' own"),
    ):
        if parts := result.get(f"server_cpu_seconds_per_visit_{split}"):
            shares = ", ".join(f"{part} {_fmt(value)}" for part, value in parts.items())
            lines.append(f"  {label:<17} {shares} s a visit ({meaning})")
    node = result.get("node")
    if node:
        shares = ", ".join(f"{k} {_fmt(v)}" for k, v in node["cpu_seconds_per_visit"].items())
        lines.append(f"  node              {node['busy_percent']} % busy; CPU-s a visit: {shares}")
    if result.get("worker_cpu_seconds_per_visit") is not None:
        lines.append(f"  worker CPU        {result['worker_cpu_seconds_per_visit']} s a visit")
    cards = result["card_reads"]
    hooks = result["webhooks"]
    lines += [
        f"  card reads        {cards['done']} done, {cards['failed']} failed "
        f"{cards['failures'] or ''}, {cards['lost']} lost (no result within 60 s)",
        f"  webhooks          {hooks['delivered']} of {hooks['expected']} delivered",
        f"  errors            {result['errors']} {dict(result['error_kinds']) or ''}".rstrip(),
        f"  stalls (>{SLOW_SECONDS:g} s)   {result['stalls']}",
        f"  /healthz ratio    {_fmt(result['healthz_ratio'])} "
        "(median request ÷ median /healthz, same run)",
    ]
    if result["notes"]:
        lines.append(f"  notes             {dict(result['notes'])}")
    lines.append("")
    lines.append(
        f"  {'step':<22}{'count':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"
    )
    for name, s in sorted(result["steps"].items()):
        lines.append(
            f"  {name:<22}{s['count']:>7}{s['p50']:>10}{s['p95']:>10}{s['p99']:>10}{s['max']:>10}"
        )
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
