"""Values a unit of work read once and may reuse, until it writes anything.

A request reads the same few rows several times (the tenant's active catalog and layouts: once
for the prepared key, again for the guidance and the forms). The first statement that reads
them leaves them here; later reads in the same unit take them instead of another statement.
Kept only while nothing is written: any flush of the session (an admin activating a catalog in
this unit, or anything else) forgets them all, and so does the end of its transaction — the
next request reads afresh. Per session, so never shared between tenants or requests.

Rows a request loaded are also kept for the rest of its transaction (``keep_loaded_rows``).
SQLAlchemy's identity map holds rows weakly: the tenant read for today's date was gone again
when the record was built a moment later, so ``session.get`` read it a second time (the tenant
three times in one PATCH, a device three times in a PIN hand-over). A request's session holds
tens of rows for milliseconds, so holding them strongly costs nothing; long-running sessions
(worker, CLI scans) do not ask for it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "request_memo"
_KEEP = "keep_loaded_rows"
_KEPT = "kept_rows"
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


def keep_loaded_rows(session: Session) -> None:
    """Hold every row this session loads until its transaction ends (a request's session)."""
    session.info[_KEEP] = True


def release_loaded_rows(session: Session) -> None:
    """Stop holding this session's rows (a test's session that outlives its request)."""
    session.info.pop(_KEEP, None)
    session.info.pop(_KEPT, None)


@event.listens_for(Session, "loaded_as_persistent")
def _keep_row(session: Session, instance: object) -> None:
    if session.info.get(_KEEP):
        session.info.setdefault(_KEPT, []).append(instance)


@event.listens_for(Session, "after_transaction_end")
def _release_rows(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_KEPT, None)
