"""The request's audit events and journey events are written together (issue 17).

An audit event waits for the session's next flush, where the flush's events are chained at
once (one read of the chain's end, one INSERT); a journey event waits for the next flush too,
and its visit's summary is rewritten once, at the commit or before a summary is read. These
tests pin what must not change: the chain's order and hashes, reads in the same transaction
seeing what was recorded, and nothing written for a transaction that rolled back.
"""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.counter.models import Visit
from backend.journey.models import VisitSummary
from backend.platform.audit import service as audit
from backend.platform.audit.models import AuditEvent
from backend.seed import seed_demo
from tests.helpers.sql import statements


def _scoped(db: Session) -> str:
    tenant = seed_demo(db)
    db.flush()
    db.info["unscoped"] = False
    db.info["tenant_id"] = tenant.id
    return tenant.id


def _open_visit(db: Session, tenant_id: str) -> Visit:
    visit = Visit(tenant_id=tenant_id, status="open", facts={}, certificates=[])
    db.add(visit)
    db.flush()
    return visit


def test_one_flush_chains_its_audit_events_with_one_read_and_one_insert(db: Session) -> None:
    tenant_id = _scoped(db)
    audit.record(db, tenant_id=tenant_id, action="first")
    db.flush()  # a chain that does not start at the genesis
    with statements(db) as sent:
        recorded = [
            audit.record(db, tenant_id=tenant_id, action="visit.viewed", detail={"i": i})
            for i in range(3)
        ]
        assert not sent  # nothing written before the flush
        db.flush()
    reads = [s for s in sent if s.startswith("SELECT audit_events.seq")]
    inserts = [s for s in sent if s.startswith("INSERT INTO audit_events")]
    assert len(reads) == 1 and len(inserts) == 1
    chain = list(audit.events(db, tenant_id))
    assert [e.action for e in chain][-4:] == ["first", "visit.viewed", "visit.viewed",
                                             "visit.viewed"]  # fmt: skip
    assert [e.detail.get("i") for e in chain[-3:]] == [0, 1, 2]  # in the order recorded
    assert [e.seq for e in recorded] == [chain[-3].seq, chain[-3].seq + 1, chain[-3].seq + 2]
    assert audit.verify_chain(chain) == (len(chain), None)
    # The same hashes as one event at a time: each is its fields chained on the previous one.
    for previous, current in itertools.pairwise(chain):
        assert current.prev_hash == previous.hash
        assert current.hash == audit.event_digest(previous.hash, audit.chained_fields(current))


def test_a_recorded_audit_event_is_seen_by_a_later_read(db: Session) -> None:
    tenant_id = _scoped(db)
    before = audit.count(db, tenant_id)
    audit.record(db, tenant_id=tenant_id, action="visit.viewed")
    assert audit.count(db, tenant_id) == before + 1


def test_audit_events_of_a_rolled_back_savepoint_are_not_written(db: Session) -> None:
    tenant_id = _scoped(db)
    audit.record(db, tenant_id=tenant_id, action="kept")
    db.flush()
    nested = db.begin_nested()
    audit.record(db, tenant_id=tenant_id, action="dropped")
    db.flush()
    nested.rollback()
    audit.record(db, tenant_id=tenant_id, action="after")
    db.flush()
    chain = list(audit.events(db, tenant_id))
    assert [e.action for e in chain][-2:] == ["kept", "after"]
    assert audit.verify_chain(chain) == (len(chain), None)


def test_an_unflushed_audit_event_is_forgotten_with_its_transaction(db: Session) -> None:
    tenant_id = _scoped(db)
    db.commit()  # the fixture's commits are savepoints: this one is the outermost unit's
    db.info["tenant_id"] = tenant_id
    audit.record(db, tenant_id=tenant_id, action="never")
    db.rollback()
    db.info["unscoped"], db.info["tenant_id"] = False, tenant_id
    assert "audit_pending" not in db.info
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id)).all()
    assert "never" not in actions


def test_a_requests_journey_events_go_in_one_insert_and_one_summary(db: Session) -> None:
    tenant_id = _scoped(db)
    visit = _open_visit(db, tenant_id)
    with statements(db) as sent:
        visits.add_event(db, visit, "visit.opened", {"counter_id": "c1"})
        visits.add_event(db, visit, "card.read")
        visits.add_event(db, visit, "card.read")
        db.commit()  # a savepoint here: the request's commit
    inserts = [s for s in sent if s.startswith("INSERT INTO visit_events")]
    rewrites = [s for s in sent if s.startswith("INSERT INTO visit_summaries")]
    assert len(inserts) == 1 and len(rewrites) == 1
    db.info["tenant_id"] = tenant_id
    assert [e.kind for e in visits.list_events(db, visit)] == [
        "visit.opened", "card.read", "card.read"
    ]  # fmt: skip
    summary = db.scalars(select(VisitSummary).where(VisitSummary.visit_id == visit.id)).one()
    assert summary.cards == 2


def test_a_summary_read_in_the_same_transaction_sees_the_events(db: Session) -> None:
    tenant_id = _scoped(db)
    visit = _open_visit(db, tenant_id)
    visits.add_event(db, visit, "visit.opened", {"counter_id": "c1"})
    visits.add_event(db, visit, "visit.signed")
    cards = select(VisitSummary.signatures).where(VisitSummary.visit_id == visit.id)
    assert db.scalar(cards) == 1
    visits.add_event(db, visit, "visit.signed")
    assert db.scalar(cards) == 2
    # The Core table too (the report's own queries read columns; a test reads rows).
    table = VisitSummary.__table__
    visits.add_event(db, visit, "visit.signed")
    assert db.execute(select(table.c.signatures).where(table.c.visit_id == visit.id)).scalar() == 3


def test_journey_events_of_a_rolled_back_transaction_leave_no_summary(db: Session) -> None:
    tenant_id = _scoped(db)
    visit = _open_visit(db, tenant_id)
    db.commit()
    db.info["tenant_id"] = tenant_id
    visits.add_event(db, visit, "visit.opened", {"counter_id": "c1"})
    db.rollback()
    assert "journey_stale_summaries" not in db.info
    db.info["unscoped"], db.info["tenant_id"] = False, tenant_id
    assert db.scalars(select(VisitSummary).where(VisitSummary.visit_id == visit.id)).all() == []
