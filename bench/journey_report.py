"""The journey report's time on a large city's year (≈300,000 visits, ≈4.5 million journey
events), with the ratio to bare aggregate queries over the same rows in the same run.

Usage: .venv/bin/python bench/journey_report.py [--visits N] [--runs N] [--database URL]
       [--keep FILE.db]
The visits are synthetic purged visits (backend/journey/history.py) bulk-inserted into a scratch
SQLite database (or the PostgreSQL database given with --database); a database that already
holds visits (a previous run's, or --keep FILE.db for SQLite) is measured again as it is.
Two bare aggregates, each a single GROUP BY with no per-visit work, timed in the same run:
- over the journey events: visit_events joined to visits, count and min/max time per life event
  (what the report read before it had summary rows; the same query as in the first benchmark);
- over the summary rows: visit_summaries, count and total service time per life event (the
  least any report over the summary rows can cost).
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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import backend.models  # noqa: F401 - every mapper configured
from backend.counter.models import Visit, VisitEvent
from backend.journey.history import demo_office, insert_history
from backend.journey.models import VisitSummary
from backend.journey.report import build_report
from backend.platform import db as db_module
from backend.platform import migrate
from backend.seed import seed_demo

FIRST_DAY = dt.date(2025, 4, 1)  # one fiscal year


def fill(session: Session, visits: int) -> tuple[int, dt.date]:
    tenant = seed_demo(session)
    office = demo_office(session, tenant.id)
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range(365)]
    weekdays = sum(1 for d in days if d.weekday() < 5)
    per_day = round(visits / weekdays / 1.15)  # the season adds about 15 % over the year
    written = insert_history(session, office, days, per_day=per_day, batch=5000)
    session.commit()
    return written, days[-1]


def bare_aggregate(session: Session) -> None:
    query = (
        select(Visit.event, func.count(), func.min(VisitEvent.at), func.max(VisitEvent.at))
        .join(VisitEvent, VisitEvent.visit_id == Visit.id)
        .group_by(Visit.event)
        .execution_options(unscoped=True)
    )
    session.execute(query).all()


def bare_summary_aggregate(session: Session, tenant_id: str) -> None:
    query = (
        select(VisitSummary.event, func.count(), func.sum(VisitSummary.service_seconds))
        .where(VisitSummary.tenant_id == tenant_id)
        .group_by(VisitSummary.event)
        .execution_options(unscoped=True)
    )
    session.execute(query).all()


def timed(action: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database", help="a database URL, empty or filled by a previous run (default: SQLite)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="a SQLite file kept between runs: filled once, then measured again as it is",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{args.keep or Path(folder) / 'journey.db'}"
        engine = db_module.make_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            session.info["unscoped"] = True
            start = time.perf_counter()
            written = session.scalar(select(func.count()).select_from(Visit)) or 0
            last_day = FIRST_DAY + dt.timedelta(days=364)
            if not written:
                written, last_day = fill(session, args.visits)
            events = session.scalar(select(func.count()).select_from(VisitEvent))
            print(
                f"filled {written} visits, {events} events in {time.perf_counter() - start:.1f} s"
            )
            tenant = seed_demo(session)
            report = build_report(session, tenant, FIRST_DAY, last_day)
            assert report["total"]["visits"] == written, "the report counts every visit"
            report_s = timed(lambda: build_report(session, tenant, FIRST_DAY, last_day), args.runs)
            bare_s = timed(lambda: bare_aggregate(session), args.runs)
            summary_s = timed(lambda: bare_summary_aggregate(session, tenant.id), args.runs)
        engine.dispose()
    print(
        f"{engine.dialect.name}: journey report for {written} visits: {report_s:.2f} s "
        f"(median of {args.runs})\n"
        f"  bare aggregate over the journey events: {bare_s:.2f} s, "
        f"report/bare ratio {report_s / bare_s:.2f}\n"
        f"  bare aggregate over the summary rows:   {summary_s:.2f} s, "
        f"report/bare ratio {report_s / summary_s:.2f}"
    )


if __name__ == "__main__":
    main()
