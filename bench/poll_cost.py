"""Server CPU and SQL statements of ONE poll of each screen, with and without ``If-None-Match``.

Usage: .venv/bin/python bench/poll_cost.py [--polls N] [--rounds N] [--database-url URL]

The screens poll while nothing changes: the tablet ``GET /api/v1/tablet/current`` every second
(waiting, with a PIN request, while the resident reads the data to confirm), the staff console
``signature-wait`` every 1.5 s while the resident signs, and ``agent/status`` + ``tablet/status``
every 3 s. Each poll is measured as a first request (no ``If-None-Match``: the full answer) and
as a browser's revalidation (``If-None-Match`` = the ETag it got: 304 when nothing changed).
In-process through the ASGI app like ``bench/visit_cpu.py`` (whose set-up it reuses); the best
round of ``--rounds`` is printed (the machine's other load only ever adds CPU time).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench import visit_cpu


def reach_confirming(visitor: visit_cpu.Visitor) -> str:
    """A visit played as in ``Visitor.play`` up to 「タブレットで確認」; its id."""
    ok = visitor.ok
    called = ok("POST", f"/api/v1/counters/{visitor.counter}/call-next", visitor.staff)
    visit = ok(
        "POST",
        "/api/v1/visits",
        visitor.staff,
        {"ticket_id": called["ticket"]["id"], "counter_id": visitor.counter},
    )
    vid = str(visit["id"])
    visitor.read_card(vid)
    visitor.patch(vid, {"event": "moving-in", "event_date": "2026-11-20", "filed_on": "2026-11-24"})
    visitor.patch(vid, {"new_address": "窓口デモ市中央一丁目２番３号"})
    guidance = visitor.patch(vid, {"certificates": [{"kind": "residence", "copies": 1}]})
    visitor.answer_questions(vid, guidance)
    ok("POST", f"/api/v1/visits/{vid}/confirm", visitor.staff)
    return vid


class PollMeter:
    """Best-round server CPU (ms) and statements of one request, without and with its ETag."""

    def __init__(self, client: Any, statements: list[int], polls: int, rounds: int) -> None:
        self.client = client
        self.statements = statements
        self.polls = polls
        self.rounds = rounds

    def measure(self, url: str, headers: dict[str, str]) -> tuple[float, float, float, float, int]:
        first = self.client.get(url, headers=headers)
        first.raise_for_status()
        etag = first.headers.get("etag")
        conditional = {**headers, "if-none-match": etag} if etag else headers
        full_ms, full_sql = self._best(url, headers)
        again_ms, again_sql = self._best(url, conditional)
        status = self.client.get(url, headers=conditional).status_code
        return full_ms, full_sql, again_ms, again_sql, status

    def _best(self, url: str, headers: dict[str, str]) -> tuple[float, float]:
        best = float("inf")
        sql = 0.0
        for _ in range(self.rounds):
            before = self.statements[0]

            def polls() -> None:
                for _ in range(self.polls):
                    self.client.get(url, headers=headers)

            spent, _ = visit_cpu.server_cpu(polls)
            best = min(best, spent / self.polls * 1000)
            sql = (self.statements[0] - before) / self.polls
        return best, sql


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=50, help="polls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="madoguchi-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    os.environ["MADOGUCHI_DATABASE_URL"] = url
    os.environ.setdefault("MADOGUCHI_LOG_LEVEL", "WARNING")
    os.environ.setdefault("MADOGUCHI_DATA_DIR", folder)

    from fastapi.testclient import TestClient

    from backend.app import create_app

    visit_cpu.prepare_database(url)
    stop = threading.Event()
    with TestClient(create_app()) as client:
        visit_cpu.start_agent(stop)
        visitor = visit_cpu.Visitor(client)
        visitor.play()  # warm-up; leaves the counter's last card read on the tablet's view
        statements = visit_cpu.count_statements()
        meter = PollMeter(client, statements, args.polls, args.rounds)
        counter = visitor.counter
        polls: list[tuple[str, Callable[[], tuple[str, dict[str, str]]]]] = [
            ("tablet/current (waiting)", lambda: ("/api/v1/tablet/current", visitor.tablet)),
            ("agent/status", lambda: (f"/api/v1/agent/status?counter_id={counter}", visitor.staff)),
            (
                "tablet/status",
                lambda: (f"/api/v1/tablet/status?counter_id={counter}", visitor.staff),
            ),
        ]
        results = [(name, meter.measure(*where())) for name, where in polls]
        visitor.ok("POST", "/api/v1/tickets", visitor.machine, {"queue_id": visitor.queue})
        vid = reach_confirming(visitor)
        confirming = [
            ("tablet/current (confirming)", "/api/v1/tablet/current", visitor.tablet),
            ("signature-wait", f"/api/v1/tablet/visits/{vid}/signature-wait", visitor.staff),
            ("GET visit (for comparison)", f"/api/v1/visits/{vid}", visitor.staff),
        ]
        results += [(name, meter.measure(path, headers)) for name, path, headers in confirming]
        stop.set()

    print(f"database {url.split(':')[0]}, {args.polls} polls x {args.rounds} rounds, best round")
    print(f"  {'poll':<30} {'full ms':>8} {'SQL':>5}   {'If-None-Match ms':>16} {'SQL':>5} status")
    for name, (full_ms, full_sql, again_ms, again_sql, status) in results:
        full = f"{full_ms:8.2f} {full_sql:5.1f}"
        print(f"  {name:<30} {full}   {again_ms:16.2f} {again_sql:5.1f} {status}")


if __name__ == "__main__":
    main()
