"""The unit of work's side effects: run once the transaction commits, dropped if it rolls back.

A service that must tell the outside world about a change (wake an agent, push a live update,
nudge the outbox worker) registers the effect with ``after_commit``; nothing leaves the process
for data that was never saved, and nothing is lost for data that was (see docs/architecture.md).
Effects run in registration order, in the thread that committed; one that fails is logged and
does not stop the others (the data is already committed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_EFFECTS_KEY = "uow_effects"

Effect = Callable[[], None]


def after_commit(session: Session, effect: Effect) -> None:
    """Run ``effect`` after ``session``'s outermost transaction commits (never on rollback)."""
    session.info.setdefault(_EFFECTS_KEY, []).append(effect)


def pending_effects(session: Session) -> int:
    return len(session.info.get(_EFFECTS_KEY, ()))


@event.listens_for(Session, "after_commit")
def _run_effects(session: Session) -> None:
    for effect in session.info.pop(_EFFECTS_KEY, []):
        try:
            effect()
        except Exception:  # committed already: one failed notification must not hide others
            log.exception("an after-commit effect failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_effects(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_EFFECTS_KEY, None)
