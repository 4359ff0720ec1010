"""The visit's transitions as a table: every allowed pair, and every other pair refused."""

from __future__ import annotations

import itertools

import pytest

from backend.counter.models import Visit
from backend.counter.states import TRANSITIONS, VisitAction, VisitStatus, apply, next_status
from backend.platform.errors import Conflict

# Written out by hand (not read from the module): a change to the state machine shows up here.
S, A = VisitStatus, VisitAction

ALLOWED = {
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

# The code the API answers with for each refused pair (409 for all).
REFUSED = {
    (S.CLOSED, A.EDIT): "visit_closed",
    (S.CLOSED, A.SEND_TO_TABLET): "visit_closed",
    (S.CLOSED, A.CLOSE): "visit_closed",
    (S.OPEN, A.SIGN): "not_confirming",
    (S.CLOSED, A.SIGN): "not_confirming",
    (S.SIGNED, A.SIGN): "already_signed",
    (S.OPEN, A.HAND_OFF): "not_signed",
    (S.CONFIRMING, A.HAND_OFF): "not_signed",
    (S.CLOSED, A.HAND_OFF): "not_signed",
}

PAIRS = list(itertools.product(VisitStatus, VisitAction))


def test_the_states_and_actions_are_these() -> None:
    # The values are the API's and the database's: they never change.
    assert [s.value for s in VisitStatus] == ["open", "confirming", "signed", "closed"]
    assert {a.value for a in VisitAction} == {"edit", "send_to_tablet", "sign", "close", "hand_off"}
    # Every pair is either allowed or refused, never both, never neither.
    assert set(ALLOWED).isdisjoint(REFUSED)
    assert set(ALLOWED) | set(REFUSED) == set(PAIRS)


def test_the_module_table_is_the_allowed_table() -> None:
    assert TRANSITIONS == ALLOWED


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=lambda v: str(v))
def test_each_pair(status: VisitStatus, action: VisitAction) -> None:
    key = (status, action)
    if key in ALLOWED:
        assert next_status(status.value, action) == ALLOWED[key]
    else:
        with pytest.raises(Conflict) as refused:
            next_status(status.value, action)
        assert refused.value.status_code == 409
        assert refused.value.code == REFUSED[key]


def test_apply_moves_the_visit_and_returns_where_it_was() -> None:
    visit = Visit(status=S.CONFIRMING)
    assert apply(visit, A.SIGN) == S.CONFIRMING
    assert visit.status == S.SIGNED
    with pytest.raises(Conflict):
        apply(visit, A.SIGN)
    assert visit.status == S.SIGNED  # a refused action leaves the visit as it was
