"""The worker's retention round against a growing number of kept visits.

Usage: .venv/bin/python bench/retention_round.py [--kept 700 7000] [--rounds 21]

Seeds closed visits still within their retention period (nothing to purge: the steady state
of a working municipality) plus one visit that is due, then times ``retention.plan`` and counts
its SQL statements. The baseline, measured in the same run on the same database, is one
``SELECT 1`` round trip. Before issue 17 a round read every kept visit and queried its outbox
rows one by one (0.2–0.75 s at 671 visits, growing linearly); the target is a round whose cost
does not grow with the visits kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine

from backend.counter import retention
from backend.counter.models import Visit
from backend.counter.states import VisitStatus
from backend.platform import db as db_module
from backend.platform import migrate
from backend.platform.db import new_id, session_scope, utcnow
from backend.seed import seed_demo


def seed(kept: int) -> str:
    """``kept`` visits closed yesterday and one closed 31 days ago (due); returns the url."""
    url = f"sqlite:///{tempfile.mkdtemp(prefix='madoguchi-retention-')}/bench.db"
    engine = db_module.make_engine(url)
    migrate.upgrade(engine)
    db_module.reset_engine(engine)
    now = utcnow()
    with session_scope(unscoped=True) as session:
        tenant = seed_demo(session)
        rows = [
            {
                "id": new_id(),
                "tenant_id": tenant.id,
                "status": VisitStatus.CLOSED.value,
                "closed_at": now - dt.timedelta(days=1 if n else 31),
                "created_at": now - dt.timedelta(days=31),
                "updated_at": now,
                "facts": {},
                "certificates": [],
            }
            for n in range(kept + 1)
        ]
        session.execute(insert(Visit), rows)
    return url


def measure(rounds: int) -> tuple[float, float, int, int]:
    """(ms per round, ms per SELECT 1, statements per round, visits planned)."""
    statements = [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def _counted(*_: object) -> None:
        statements[0] += 1

    plan_ms, ping_ms, planned = [], [], 0
    for _ in range(rounds):
        with session_scope(unscoped=True) as session:
            start = time.perf_counter()
            session.execute(text("SELECT 1")).all()
            ping_ms.append((time.perf_counter() - start) * 1000)
            before = statements[0]
            start = time.perf_counter()
            planned = len(retention.plan(session).visits)
            plan_ms.append((time.perf_counter() - start) * 1000)
            per_round = statements[0] - before
    event.remove(Engine, "before_cursor_execute", _counted)
    return statistics.median(plan_ms), statistics.median(ping_ms), per_round, planned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kept", type=int, nargs="+", default=[700, 7000])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    print("kept visits  round ms  SELECT 1 ms  ratio  statements  due")
    first = None
    for kept in args.kept:
        seed(kept)
        plan_ms, ping_ms, per_round, planned = measure(args.rounds)
        first = first or plan_ms
        print(
            f"{kept:>11}  {plan_ms:>8.2f}  {ping_ms:>11.3f}  {plan_ms / ping_ms:>5.0f}"
            f"  {per_round:>10}  {planned:>3}"
        )
    print("a round should cost the same whatever the number of visits kept (statements constant)")


if __name__ == "__main__":
    main()
