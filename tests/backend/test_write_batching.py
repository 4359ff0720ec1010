"""The request's audit events and journey events are written together (issue 17).

An audit event waits for the commit (or a read of the chain in the same transaction), where
the unit's events are chained at once (one lock, one read of the chain's end, one INSERT); a
journey event waits for the next flush, and its visit's summary is rewritten once, at the
commit or before a summary is read. These tests pin what must not change: the chain's order
and hashes, reads in the same transaction seeing what was recorded, and nothing written for a
transaction that rolled back.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.counter.models import Visit
from backend.identity.tenants.models import Tenant
from backend.journey.models import VisitSummary
from backend.platform import notifier
from backend.platform.audit import service as audit
from backend.platform.audit.models import AuditEvent
from backend.platform.db import OtherTenantsData
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


def test_the_commit_chains_the_units_audit_events_at_once(
    db: Session,
) -> None:
    tenant_id = _scoped(db)
    audit.record(db, tenant_id=tenant_id, action="first")
    db.commit()  # a chain that does not start at the genesis (the fixture's commits are savepoints)
    db.info["unscoped"], db.info["tenant_id"] = False, tenant_id
    with statements(db) as sent:
        recorded = [
            audit.record(db, tenant_id=tenant_id, action="visit.viewed", detail={"i": i})
            for i in range(3)
        ]
        _open_visit(db, tenant_id)  # the unit's other writes flush as they would
        assert not [s for s in sent if "audit" in s]  # nothing of the chain before the commit
        db.commit()
    chained = [s for s in sent if "audit" in s]
    if db.get_bind().dialect.name == "postgresql":  # one INSERT, chained inside the COMMIT
        assert len(chained) == 1 and chained[0].startswith("INSERT INTO audit_pending")
    else:  # SQLite's writers are serialised by its own lock
        assert [s.split(" ")[0] for s in chained] == ["SELECT", "INSERT"]
    db.info["unscoped"], db.info["tenant_id"] = False, tenant_id
    chain = list(audit.events(db, tenant_id))
    assert [e.action for e in chain][-4:] == ["first", "visit.viewed", "visit.viewed",
                                             "visit.viewed"]  # fmt: skip
    assert [e.detail.get("i") for e in chain[-3:]] == [0, 1, 2]  # in the order recorded
    assert [e.id for e in chain[-3:]] == [e.id for e in recorded]
    assert [e.seq for e in chain[-3:]] == [chain[-3].seq, chain[-3].seq + 1, chain[-3].seq + 2]
    assert audit.verify_chain(chain) == (len(chain), None)
    # The same hashes as one event at a time: each is its fields chained on the previous one.
    for previous, current in itertools.pairwise(chain):
        assert current.prev_hash == previous.hash
        assert current.hash == audit.event_digest(previous.hash, audit.chained_fields(current))


def test_the_chain_is_locked_only_after_the_units_other_writes(db: Session) -> None:
    """The chain's lock is held until the transaction ends, so it is taken at the commit, once
    the rest of the unit is written: a request that took it at its first flush held every other
    request of the municipality that audits behind it (≈30 waiting at 64 counters, issue 17)."""
    tenant_id = _scoped(db)
    with statements(db) as sent:
        audit.record(db, tenant_id=tenant_id, action="visit.viewed")
        db.flush()
        visit = _open_visit(db, tenant_id)
        visit.status = "confirmed"
        visits.add_event(db, visit, "visit.opened", {"counter_id": "c1"})  # a summary rewritten
        notifier.publish(db, notifier.device_key("d1"))  # and a key sent, at the commit
        db.commit()
    audit_at = [i for i, s in enumerate(sent) if "audit" in s]
    others = ("INSERT INTO visits", "UPDATE", "INSERT INTO visit_summaries", "SELECT pg_notify")
    others_at = [i for i, s in enumerate(sent) if s.startswith(others)]
    assert any(sent[i].startswith("INSERT INTO visit_summaries") for i in others_at)
    assert audit_at and others_at
    assert min(audit_at) > max(others_at)
    if db.get_bind().dialect.name == "postgresql":  # the lock is taken inside the COMMIT
        assert sent[min(audit_at)].startswith("INSERT INTO audit_pending")


def test_a_read_of_the_chain_in_the_unit_writes_what_it_recorded_first(db: Session) -> None:
    tenant_id = _scoped(db)
    before = audit.count(db, tenant_id)
    audit.record(db, tenant_id=tenant_id, action="visit.viewed")
    assert audit.count(db, tenant_id) == before + 1
    audit.record(db, tenant_id=tenant_id, action="visit.printed")
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id)).all()
    assert "visit.printed" in actions


def test_events_recorded_for_a_tenant_are_written_under_it_after_the_unit_moves_on(
    db: Session,
) -> None:
    first = _scoped(db)
    second = Tenant(code="011002", name="別の市")
    db.add(second)
    db.flush()
    audit.record(db, tenant_id=first, action="visit.viewed")
    db.info["tenant_id"] = second.id  # a unit that works for several tenants in turn
    audit.record(db, tenant_id=second.id, action="visit.viewed")
    db.commit()
    for tenant_id in (first, second.id):
        db.info["unscoped"], db.info["tenant_id"] = False, tenant_id
        chain = list(audit.events(db, tenant_id))
        assert chain[-1].action == "visit.viewed" and chain[-1].tenant_id == tenant_id
        assert audit.verify_chain(chain) == (len(chain), None)


def test_audit_events_of_a_rolled_back_savepoint_are_not_written(db: Session) -> None:
    tenant_id = _scoped(db)
    audit.record(db, tenant_id=tenant_id, action="kept")
    nested = db.begin_nested()
    audit.record(db, tenant_id=tenant_id, action="dropped")
    inner = db.begin_nested()
    audit.record(db, tenant_id=tenant_id, action="dropped too")
    inner.commit()
    nested.rollback()
    kept = db.begin_nested()
    audit.record(db, tenant_id=tenant_id, action="kept in a savepoint")
    kept.commit()
    audit.record(db, tenant_id=tenant_id, action="after")
    db.commit()
    db.info["unscoped"], db.info["tenant_id"] = False, tenant_id
    chain = list(audit.events(db, tenant_id))
    assert [e.action for e in chain][-3:] == ["kept", "kept in a savepoint", "after"]
    assert audit.verify_chain(chain) == (len(chain), None)


def test_an_unwritten_audit_event_is_forgotten_with_its_transaction(db: Session) -> None:
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


def test_an_event_for_another_tenant_than_the_units_is_refused_when_recorded(db: Session) -> None:
    _scoped(db)
    other = Tenant(code="011002", name="別の市")
    db.add(other)
    db.flush()
    with pytest.raises(OtherTenantsData):
        audit.record(db, tenant_id=other.id, action="visit.viewed")
    assert not db.info.get("audit_pending")
