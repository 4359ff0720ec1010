"""Errors of pre-entry and reservations: stable codes, Japanese messages, English for residents."""

from __future__ import annotations

from backend.platform.errors import Conflict, MadoguchiError, NotFound, ValidationFailed


class ServiceOff(NotFound):
    code = "resident_service_off"
    default_message = "この自治体では受け付けていません。"


class PreEntryNotFound(NotFound):
    code = "preentry_not_found"
    default_message = "事前入力のコードが見つかりません。"


class PreEntryUsed(Conflict):
    code = "preentry_used"
    default_message = "この事前入力はすでに使われています。"


class PreEntryExpired(MadoguchiError):
    status_code = 410
    code = "preentry_expired"
    default_message = "この事前入力は保存期間を過ぎたため削除されました。"


class NumberRefused(ValidationFailed):
    """A 12-digit number (possibly a 個人番号) in anything a resident sent; never echoed."""

    code = "individual_number_refused"
    default_message = "12桁の番号（マイナンバーなど）は入力しないでください。"


class SlotNotFound(NotFound):
    code = "slot_not_found"
    default_message = "予約枠が見つかりません。"


class SlotFull(Conflict):
    code = "slot_full"
    default_message = "この予約枠は満員です。別の時間を選んでください。"


class SlotPast(Conflict):
    code = "slot_past"
    default_message = "この予約枠はすでに始まっています。"


class AlreadyBooked(Conflict):
    code = "already_booked"
    default_message = "同じ電話番号で同じ日の予約がすでにあります。"


class ReservationNotFound(NotFound):
    code = "reservation_not_found"
    default_message = "予約が見つかりません。"


class ReservationClosed(Conflict):
    code = "reservation_closed"
    default_message = "この予約は受付済み・取消済み、または時間を過ぎています。"


class TooManyRequests(MadoguchiError):
    status_code = 429
    code = "too_many_requests"
    default_message = "しばらく待ってからお試しください。"
