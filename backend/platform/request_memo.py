"""Values a unit of work read once and may reuse, until it writes anything.

A request reads the same few rows several times (the tenant's active catalog and layouts: once
for the prepared key, again for the guidance and the forms). The first statement that reads
them leaves them here; later reads in the same unit take them instead of another statement.
Kept only while nothing is written: any flush of the session (an admin activating a catalog in
this unit, or anything else) forgets them all, and so does the end of its transaction — the
next request reads afresh. Per session, so never shared between tenants or requests.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "request_memo"
MISSING: Any = object()  # recall's answer when nothing is remembered (None may be a value)


def remember(session: Session, key: Hashable, value: object) -> None:
    session.info.setdefault(_KEY, {})[key] = value


def recall(session: Session, key: Hashable) -> Any:
    """The value remembered under ``key`` in this unit of work, else ``MISSING``."""
    return session.info.get(_KEY, {}).get(key, MISSING)


@event.listens_for(Session, "after_flush")
def _forget_on_write(session: Session, _flush_context: Any) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_KEY, None)
