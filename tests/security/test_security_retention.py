"""Retention purges and the 個人番号 store."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter import retention
from backend.counter.individual_number import (
    IndividualNumberNotNeeded,
    InvalidIndividualNumber,
    has_individual_number,
    mask_individual_number,
    reveal_individual_number,
    store_individual_number,
)
from backend.counter.models import Document, HouseholdMember, Visit, VisitEvent
from backend.counter.states import VisitStatus
from backend.identity.security_models import IndividualNumber
from backend.platform.audit.models import AuditEvent
from backend.platform.crypto import DecryptionFailed, get_keyring
from backend.platform.db import utcnow
from backend.platform.logging_setup import MaskPersonalDataFilter
from backend.platform.outbox.models import OutboxMessage
from backend.seed import seed_demo
from contracts.individual_number import check_digit


def synthetic_number(seed: int) -> str:
    """A well-formed, made-up 個人番号 (never written as a literal in tests or logs)."""
    first = f"{seed:011d}"
    return first + str(check_digit(first))


def _visit(db: Session, *, closed_days_ago: float | None, outbox: str | None = None) -> Visit:
    tenant = seed_demo(db)
    visit = Visit(
        tenant_id=tenant.id,
        applicant_name="窓口　次郎",
        new_address="デモ県窓口デモ市本町１－２－３",
    )
    db.add(visit)
    db.flush()
    if closed_days_ago is not None:
        visit.closed_at = utcnow() - dt.timedelta(days=closed_days_ago)
        visit.status = VisitStatus.CLOSED
    db.add(HouseholdMember(tenant_id=tenant.id, visit_id=visit.id, name="窓口　次郎"))
    db.add(VisitEvent(tenant_id=tenant.id, visit_id=visit.id, kind="opened"))
    db.add(Document(tenant_id=tenant.id, visit_id=visit.id, form="f", filename="窓口次郎.pdf",
                    content_type="application/pdf", sha256="0" * 64, content=b"%PDF"))  # fmt: skip
    if outbox is not None:
        db.add(OutboxMessage(tenant_id=tenant.id, topic="handoff", destination="rpa",
                             idempotency_key=f"k-{visit.id}", key=visit.id,
                             payload={"name": "窓口　次郎"}, status=outbox,
                             delivered_at=utcnow() if outbox == "delivered" else None))  # fmt: skip
    db.flush()
    return visit


def _member(db: Session, visit: Visit) -> HouseholdMember:
    return db.scalars(select(HouseholdMember).where(HouseholdMember.visit_id == visit.id)).one()


def test_closed_visit_without_outbox_is_purged_after_retention(db: Session) -> None:
    old = _visit(db, closed_days_ago=31)
    plan = retention.plan(db)
    assert [item.visit_id for item in plan.visits] == [old.id]
    assert retention.execute(db, plan) == 1
    db.expire_all()
    purged = db.get(Visit, old.id)
    assert purged is not None and purged.purged_at is not None
    assert purged.applicant_name is None and purged.new_address is None
    assert db.scalars(select(HouseholdMember).where(HouseholdMember.visit_id == old.id)).all() == []
    document = db.scalars(select(Document).where(Document.visit_id == old.id)).one()
    assert document.content is None and document.filename == "purged"
    # the journey stays
    assert db.scalars(select(VisitEvent.kind).where(VisitEvent.visit_id == old.id)).all() == [
        "opened"
    ]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.visit_id == old.id)).all()
    assert actions == ["retention.purged"]
    assert retention.plan(db).items == []


@pytest.mark.parametrize(
    ("closed_days_ago", "outbox", "due"),
    # undelivered messages do not hold retention back (issue 14 item 4): purged unread
    [(29, None, False), (None, None, False), (40, "pending", True), (40, "dead", True),
     (40, "published", True), (40, "delivered", False), (31, None, True)],
)  # fmt: skip
def test_what_counts_as_handed_off(
    db: Session, closed_days_ago: float | None, outbox: str | None, due: bool
) -> None:
    # delivered just now: the 30 days run from the delivery, not from closing
    visit = _visit(db, closed_days_ago=closed_days_ago, outbox=outbox)
    assert (visit.id in [i.visit_id for i in retention.plan(db).visits]) is due


def test_retention_days_is_per_tenant(db: Session) -> None:
    visit = _visit(db, closed_days_ago=8)
    assert retention.plan(db).visits == []
    tenant = seed_demo(db)
    tenant.retention_days = 7
    db.flush()
    assert [i.visit_id for i in retention.plan(db).visits] == [visit.id]


def test_individual_number_needs_a_procedure_that_needs_it(db: Session) -> None:
    member = _member(db, _visit(db, closed_days_ago=None))
    number = synthetic_number(1234567)
    with pytest.raises(IndividualNumberNotNeeded):
        store_individual_number(db, member, number, [])
    with pytest.raises(IndividualNumberNotNeeded):
        store_individual_number(db, member, number, ["juki-tennyu"], needs_number=lambda p: False)
    with pytest.raises(InvalidIndividualNumber):
        store_individual_number(db, member, number[:11] + str((int(number[11]) + 1) % 10), ["x"])
    row = store_individual_number(
        db, member, number, ["mynumber-card"], needs_number=lambda p: True
    )
    assert number not in row.sealed
    assert reveal_individual_number(db, member, purpose="form") == number
    assert mask_individual_number(number) == "************"


def test_individual_number_is_sealed_under_its_own_context(db: Session) -> None:
    member = _member(db, _visit(db, closed_days_ago=None))
    row = store_individual_number(db, member, synthetic_number(42), ["p"])
    with pytest.raises(DecryptionFailed):
        get_keyring().decrypt(row.sealed)  # as an ordinary EncryptedText column would


def test_individual_number_is_purged_on_delivery_long_before_the_rest(db: Session) -> None:
    visit = _visit(db, closed_days_ago=0, outbox="delivered")
    member = _member(db, visit)
    store_individual_number(db, member, synthetic_number(7), ["p"])
    plan = retention.plan(db)
    assert [i.visit_id for i in plan.individual_numbers] == [visit.id] and plan.visits == []
    retention.execute(db, plan)
    assert not has_individual_number(db, member.id)
    assert db.get(Visit, visit.id).applicant_name == "窓口　次郎"  # type: ignore[union-attr]
    assert db.scalars(select(IndividualNumber)).all() == []


def test_log_filter_masks_numbers_in_messages_and_tracebacks() -> None:
    number = synthetic_number(99)
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "got %s", (number,), None)
    try:
        raise ValueError(f"bad {number}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert MaskPersonalDataFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert number not in formatted and "************" in formatted


def test_log_scan_finds_synthetic_data_and_twelve_digit_runs() -> None:
    from security_logscan import scan, synthetic_strings

    needles = synthetic_strings()
    assert "黒桐　幹也" in needles and "窓口　次郎" in needles
    assert scan("GET /api/v1/visits/abc 200", needles) == []
    assert scan("visit of 黒桐　幹也 opened", needles)
    assert scan(f"number {synthetic_number(5)}", needles)
