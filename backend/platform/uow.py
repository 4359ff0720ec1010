"""The unit of work: effects run after commit, and writes that must survive a rollback.

A service that must tell the outside world about a change (wake an agent, push a live update,
nudge the outbox worker) registers the effect with ``after_commit``; nothing leaves the process
for data that was never saved, and nothing is lost for data that was (see docs/architecture.md).
Effects run in registration order, in the thread that committed; one that fails is logged and
does not stop the others (the data is already committed).

"One transaction per request" must not swallow the record of a failed attempt (a core lookup
that timed out, a wrong password and the lockout it leads to). ``keep`` applies such a write
in the request's transaction and, if that transaction rolls back on any path (an API error, an
unexpected exception, a failed commit), applies it again in a short second transaction right
after the rollback; ``audit_attempt`` does that for one audit event around a block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from backend.platform.audit import service as audit
from backend.platform.db import begin_write

log = logging.getLogger(__name__)

_EFFECTS_KEY = "uow_effects"
_KEPT_KEY = "uow_kept_writes"

Effect = Callable[[], None]
Write = Callable[[Session], object]


@dataclass
class _Kept:
    write: Write
    applied: bool  # applied in the unit's own transaction (so a commit saves it)


def after_commit(session: Session, effect: Effect) -> None:
    """Run ``effect`` after ``session``'s outermost transaction commits (never on rollback)."""
    session.info.setdefault(_EFFECTS_KEY, []).append(effect)


def keep(session: Session, write: Write, *, apply_now: bool = True) -> None:
    """Make ``write`` durable whatever becomes of ``session``'s transaction.

    ``write(s)`` is applied to ``session`` now (unless ``apply_now`` is false, or it fails:
    the transaction may already be broken), so a commit saves it with everything else. If the
    transaction rolls back instead, ``write`` runs again in a second short transaction after
    the rollback; if it was not applied and the unit commits, it runs after the commit. So it
    is saved exactly once. ``write`` must read what it changes afresh from the session it is
    given (ids, not loaded objects) and only ``flush()``.
    """
    kept = _Kept(write, applied=False)
    session.info.setdefault(_KEPT_KEY, []).append(kept)
    if not apply_now:
        return
    try:
        write(session)
        kept.applied = True
    except Exception:  # the unit is failing already; the second transaction will write it
        log.debug("a kept write could not join the failing transaction", exc_info=True)


@contextmanager
def audit_attempt(
    session: Session, *, tenant_id: str, action: str, **fields: Any
) -> Iterator[None]:
    """Audit the attempt made in the block, whether it (or the rest of the request) fails.

    The event is written when the block ends, in the unit's transaction; a rollback of that
    transaction (the block raised, or anything later did, or the commit failed) writes it
    again after the rollback. ``fields`` are those of ``audit.record``.
    """

    def write(target: Session) -> None:
        audit.record(target, tenant_id=tenant_id, action=action, **fields)

    try:
        yield
    finally:
        keep(session, write)


@event.listens_for(Session, "after_commit")
def _run_effects(session: Session) -> None:
    unapplied = [k.write for k in session.info.pop(_KEPT_KEY, []) if not k.applied]
    for effect in session.info.pop(_EFFECTS_KEY, []):
        try:
            effect()
        except Exception:  # committed already: one failed notification must not hide others
            log.exception("an after-commit effect failed")
    if unapplied:
        _write_apart(session, unapplied)


@event.listens_for(Session, "after_soft_rollback")
def _drop_effects(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the unit goes on
        return
    session.info.pop(_EFFECTS_KEY, None)
    kept = session.info.pop(_KEPT_KEY, [])
    if kept:
        _write_apart(session, [k.write for k in kept])


def _write_apart(session: Session, writes: list[Write]) -> None:
    """Apply ``writes`` in a short transaction of their own, on the connection source of
    ``session`` (its engine, or in tests the connection it was joined to)."""
    bind = session.get_bind()
    extra: dict[str, Any] = {}
    if isinstance(bind, Connection):
        extra["join_transaction_mode"] = "create_savepoint"
    try:
        with Session(bind=bind, expire_on_commit=False, **extra) as second:
            second.info["tenant_id"] = session.info.get("tenant_id")
            second.info["unscoped"] = session.info.get("unscoped", False)
            begin_write(second)
            for write in writes:
                write(second)
            second.commit()
    except Exception:  # never hide the error that rolled the unit back
        log.exception("could not save %d write(s) of a failed unit of work", len(writes))
