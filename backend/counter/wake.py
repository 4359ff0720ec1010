"""Wake a counter's tablet when something it shows may have changed.

The tablet long-polls ``GET /api/v1/tablet/current?wait=N`` (``tablet_router``): instead of a
request every second it waits on the counter's key in ``backend.platform.notifier``. Any unit of
work that writes a visit at a counter, one of its members, or an agent job of the counter
(a PIN request, a card read's result) publishes ``counter:<id>`` once it commits, on whichever
replica it ran. A wake-up only says "look again": the tablet's ETag decides whether anything
the resident sees changed. A lost notification costs at most ``RECHECK_SECONDS`` of delay.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from backend.counter.models import HouseholdMember, Visit
from backend.platform import notifier
from backend.platform.agentlink.models import AgentJob

RECHECK_SECONDS = (
    8.0  # a waiting tablet looks (and is seen: its presence) this often without a wake-up
)
MAX_WAIT_SECONDS = 30  # the longest wait a tablet may ask for


def counter_key(counter_id: str) -> str:
    return f"counter:{counter_id}"


def _counter_of(session: Session, row: Any) -> str | None:
    if isinstance(row, Visit | AgentJob):
        return row.counter_id
    if isinstance(row, HouseholdMember):
        # Only from the identity map (no statement): a member is changed with its visit loaded;
        # when it is not, the tablet's periodic look catches the change.
        visit = session.identity_map.get(identity_key(Visit, row.visit_id))
        return visit.counter_id if isinstance(visit, Visit) else None
    return None


@event.listens_for(Session, "before_flush")
def _wake_counters(session: Session, _context: Any, _instances: Any) -> None:
    woken: set[str] = session.info.setdefault("woken_counters", set())
    for row in (*session.new, *session.dirty, *session.deleted):
        counter_id = _counter_of(session, row)
        if counter_id and counter_id not in woken:
            woken.add(counter_id)
            notifier.publish(session, counter_key(counter_id))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: the next one wakes afresh
        session.info.pop("woken_counters", None)
