"""A work item's states and every transition between them: the only place they exist.

    received (受付) ──take──▶ input (入力) ──advance──▶ verify (照合) ──advance──▶ done (完了)
        │                       │                        │
        └──────── return_ ──────┴────────────────────────┴──▶ returned (差戻し)
    returned ──reopen──▶ received   (the counter put it right)

``take`` on an item already in input or verify only changes who holds it.
"""

from __future__ import annotations

from enum import StrEnum

from backend.platform.errors import Conflict


class WorkItemState(StrEnum):
    RECEIVED = "received"
    INPUT = "input"
    VERIFY = "verify"
    DONE = "done"
    RETURNED = "returned"


class WorkItemAction(StrEnum):
    TAKE = "take"
    ADVANCE = "advance"
    RETURN = "return"
    REOPEN = "reopen"


S, A = WorkItemState, WorkItemAction

TRANSITIONS: dict[tuple[WorkItemState, WorkItemAction], WorkItemState] = {
    (S.RECEIVED, A.TAKE): S.INPUT,
    (S.INPUT, A.TAKE): S.INPUT,
    (S.VERIFY, A.TAKE): S.VERIFY,
    (S.INPUT, A.ADVANCE): S.VERIFY,
    (S.VERIFY, A.ADVANCE): S.DONE,
    (S.RECEIVED, A.RETURN): S.RETURNED,
    (S.INPUT, A.RETURN): S.RETURNED,
    (S.VERIFY, A.RETURN): S.RETURNED,
    (S.RETURNED, A.REOPEN): S.RECEIVED,
}

LABELS: dict[str, dict[str, str]] = {
    "ja": {"received": "受付", "input": "入力", "verify": "照合", "done": "完了",
           "returned": "差戻し"},
    "en": {"received": "Received", "input": "Input", "verify": "Verification",
           "done": "Done", "returned": "Returned"},
}  # fmt: skip
OPEN_STATES = frozenset({S.RECEIVED, S.INPUT, S.VERIFY})


def next_state(state: str, action: WorkItemAction) -> WorkItemState:
    """The state after ``action``, or ``Conflict`` (code ``work_item_state``)."""
    after = TRANSITIONS.get((WorkItemState(state), action))
    if after is None:
        raise Conflict(
            f"「{LABELS['ja'][state]}」の作業にはこの操作はできません。",
            code="work_item_state",
        )
    return after
