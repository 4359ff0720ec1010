"""Queue errors: stable codes, messages in Japanese (resident-facing ones also in English)."""

from __future__ import annotations

from backend.platform.errors import BadRequest, Conflict, NotFound


class QueueNotFound(NotFound):
    code = "queue_not_found"
    default_message = "受付の種類が見つかりません。"


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    default_message = "番号札が見つかりません。"


class CounterNotFound(NotFound):
    code = "counter_not_found"
    default_message = "窓口が見つかりません。"


class OutsideOpeningHours(BadRequest):
    """Issuing refused: the resident reads this on the ticket machine, so it carries English too."""

    status_code = 409
    code = "outside_opening_hours"
    default_message = "受付時間外のため、番号札を発行できません。"


class QueueInactive(Conflict):
    code = "queue_inactive"
    default_message = "この受付は現在休止中です。"


class CounterClosed(Conflict):
    code = "counter_closed"
    default_message = "窓口が閉じています。先に窓口を開けてください。"


class TicketStillCalled(Conflict):
    code = "ticket_still_called"
    default_message = (
        "呼出中の番号があります。再呼出しするか、受付開始・不在のいずれかを選んでください。"
    )


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = "この番号札の状態では、その操作はできません。"


class CallContention(Conflict):
    code = "call_contention"
    default_message = "他の窓口と同時に呼び出しました。もう一度「次の方」を押してください。"
