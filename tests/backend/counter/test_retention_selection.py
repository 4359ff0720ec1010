"""The retention round reads only the visits that can be due, through an index (issue 17)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.counter import retention
from backend.counter.individual_number import store_individual_number
from backend.counter.models import HouseholdMember, Visit
from backend.counter.states import VisitStatus
from backend.platform.db import utcnow
from backend.seed import seed_demo
from tests.security.test_security_retention import _visit, synthetic_number


def test_only_visits_closed_before_the_cut_off_are_read(db: Session) -> None:
    due = _visit(db, closed_days_ago=31)
    _visit(db, closed_days_ago=29)  # closed, retention not over
    _visit(db, closed_days_ago=None)  # still open
    purged = _visit(db, closed_days_ago=45)
    purged.purged_at = utcnow()
    db.flush()
    candidates = db.scalars(retention.purge_candidates(seed_demo(db), utcnow())).all()
    assert [visit.id for visit in candidates] == [due.id]


def test_only_visits_holding_individual_numbers_are_read_for_them(db: Session) -> None:
    holding = _visit(db, closed_days_ago=0, outbox="delivered")
    _visit(db, closed_days_ago=0, outbox="delivered")  # no 個人番号: nothing to do before 30 days
    member = db.query(HouseholdMember).filter_by(visit_id=holding.id).one()
    store_individual_number(db, member, synthetic_number(5), ["p"])
    candidates = retention.individual_number_candidates(db, seed_demo(db))
    assert [visit.id for visit in candidates] == [holding.id]


def test_the_cut_off_query_uses_the_retention_index(db: Session) -> None:
    """Checked on the query plan, not by timing: the round reads an index range."""
    tenant = seed_demo(db)
    db.add_all(  # visits kept: closed a day ago, within their retention period
        Visit(tenant_id=tenant.id, status=VisitStatus.CLOSED, closed_at=utcnow() - dt.timedelta(1))
        for _ in range(200)
    )
    db.flush()
    statement = retention.purge_candidates(tenant, utcnow())
    compiled = statement.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    if db.get_bind().dialect.name == "sqlite":
        rows = db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        plan = " ".join(str(row[-1]) for row in rows)
    else:
        db.execute(text("ANALYZE visits"))  # statistics, so the planner compares the indexes
        plan = " ".join(str(row[0]) for row in db.execute(text(f"EXPLAIN {compiled}")).all())
    assert "ix_visits_retention" in plan, plan
