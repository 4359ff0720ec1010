"""Give the demo office enough counters for ``bench/load.py --counters C`` (the API has no way to
add a counter, so this writes them to the database, like ``madoguchi seed`` does).

    MADOGUCHI_DATABASE_URL=… .venv/bin/python bench/load_counters.py --counters 64

Idempotent: adds counters ``L01``, ``L02``… (「負荷試験」) serving the moving-in queue ``A``
until C counters serve it; existing counters are left alone. Run it after ``madoguchi seed``.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

import backend.models  # noqa: F401 - every mapper configured
from backend.identity.tenants.models import Counter, Office, Tenant
from backend.platform.db import session_scope
from backend.queue.models import Queue, counter_queues
from backend.seed import DEMO_TENANT_CODE

QUEUE_PREFIX = "A"  # 転入・転出・転居: the visits bench/load.py plays are moving-ins


def ensure_counters(wanted: int) -> int:
    """Counters added so that ``wanted`` counters serve queue A (0 when enough already)."""
    with session_scope(unscoped=True) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.code == DEMO_TENANT_CODE)).first()
        if tenant is None:
            raise SystemExit("the demo municipality is missing: run `madoguchi seed` first")
        session.info["tenant_id"] = tenant.id
        office = session.scalars(
            select(Office).where(Office.tenant_id == tenant.id).order_by(Office.code)
        ).first()
        if office is None:
            raise SystemExit("the demo municipality has no office: run `madoguchi seed` first")
        queue = session.scalars(
            select(Queue).where(Queue.office_id == office.id, Queue.prefix == QUEUE_PREFIX)
        ).one()
        serving = session.scalars(
            select(counter_queues.c.counter_id).where(counter_queues.c.queue_id == queue.id)
        ).all()
        codes = set(session.scalars(select(Counter.code).where(Counter.office_id == office.id)))
        added, number = 0, 0
        while len(serving) + added < wanted:
            number += 1
            code = f"L{number:02d}"
            if code in codes:
                continue
            counter = Counter(
                tenant_id=tenant.id,
                office_id=office.id,
                code=code,
                name=f"{code}窓口（負荷試験）",
                floor="1F",
            )
            session.add(counter)
            session.flush()
            session.execute(
                counter_queues.insert(), [{"counter_id": counter.id, "queue_id": queue.id}]
            )
            added += 1
        return added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counters", type=int, required=True)
    args = parser.parse_args()
    added = ensure_counters(args.counters)
    print(f"{added} counters added; {args.counters} or more serve queue {QUEUE_PREFIX}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
