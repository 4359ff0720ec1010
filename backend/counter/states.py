"""The visit's states and every transition between them: the only place they exist.

    open ──send_to_tablet──▶ confirming ──sign──▶ signed ──hand_off──▶ closed
      ▲                          │                  │
      └───────── edit ───────────┴──────────────────┘

and ``close`` from open, confirming or signed (the clerk ends the visit without a hand-off).
An edit (the visit, a member added, changed or removed, a card read) while the visit is on the
tablet voids the confirmation: the resident must see what they sign. A closed visit changes no
more. A pair not in ``TRANSITIONS`` is refused with the error the API has always given for it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from backend.counter.errors import AlreadySigned, NotConfirming, NotSigned, VisitClosed
from backend.platform.errors import Conflict


class HasStatus(Protocol):
    """A visit, as far as its state goes (models.Visit; the models import this module)."""

    status: str


class VisitStatus(StrEnum):
    OPEN = "open"
    CONFIRMING = "confirming"  # sent to the counter's tablet, waiting for the signature
    SIGNED = "signed"
    CLOSED = "closed"


class VisitAction(StrEnum):
    EDIT = "edit"
    SEND_TO_TABLET = "send_to_tablet"
    SIGN = "sign"
    CLOSE = "close"
    HAND_OFF = "hand_off"


S, A = VisitStatus, VisitAction

TRANSITIONS: dict[tuple[VisitStatus, VisitAction], VisitStatus] = {
    (S.OPEN, A.EDIT): S.OPEN,
    (S.CONFIRMING, A.EDIT): S.OPEN,
    (S.SIGNED, A.EDIT): S.OPEN,
    (S.OPEN, A.SEND_TO_TABLET): S.CONFIRMING,
    (S.CONFIRMING, A.SEND_TO_TABLET): S.CONFIRMING,
    (S.SIGNED, A.SEND_TO_TABLET): S.CONFIRMING,
    (S.CONFIRMING, A.SIGN): S.SIGNED,
    (S.OPEN, A.CLOSE): S.CLOSED,
    (S.CONFIRMING, A.CLOSE): S.CLOSED,
    (S.SIGNED, A.CLOSE): S.CLOSED,
    (S.SIGNED, A.HAND_OFF): S.CLOSED,
}

# The error for a refused pair: by action, unless the pair has one of its own.
_REFUSED_ACTION: dict[VisitAction, type[Conflict]] = {
    A.EDIT: VisitClosed,
    A.SEND_TO_TABLET: VisitClosed,
    A.SIGN: NotConfirming,
    A.CLOSE: VisitClosed,
    A.HAND_OFF: NotSigned,
}
_REFUSED_PAIR: dict[tuple[VisitStatus, VisitAction], type[Conflict]] = {
    (S.SIGNED, A.SIGN): AlreadySigned,
}

# The tablet shows the visit (and an edit voids its confirmation) in these states.
ON_TABLET = frozenset({S.CONFIRMING, S.SIGNED})


def next_status(current: str, action: VisitAction) -> VisitStatus:
    """The status ``action`` leads to from ``current``, or the Conflict that refuses it."""
    status = VisitStatus(current)
    following = TRANSITIONS.get((status, action))
    if following is None:
        raise _REFUSED_PAIR.get((status, action), _REFUSED_ACTION[action])()
    return following


def ensure_allowed(visit: HasStatus, action: VisitAction) -> None:
    """Refuse early (before any work) what ``apply`` would refuse."""
    next_status(visit.status, action)


def apply(visit: HasStatus, action: VisitAction) -> VisitStatus:
    """Move ``visit`` along ``action``; returns the status it had."""
    previous = VisitStatus(visit.status)
    visit.status = next_status(previous, action)
    return previous
