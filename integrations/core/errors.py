"""Errors of the core-system adapters: a stable code and a message for the clerk.

Every one of them means "carry on with manual entry": the counter never stops because the
core system is slow or down.
"""

from __future__ import annotations


class CoreSystemError(Exception):
    code = "core_error"
    default_message = "基幹システム（住民記録）でエラーが発生しました。手入力で続けてください。"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class CoreTimeout(CoreSystemError):
    code = "core_timeout"
    default_message = (
        "基幹システム（住民記録）が時間内に応答しませんでした。"
        "手入力で続けるか、しばらくしてからもう一度照会してください。"
    )


class CoreUnavailable(CoreSystemError):
    code = "core_unavailable"
    default_message = (
        "基幹システム（住民記録）に接続できません。手入力で続けてください。"
        "続く場合は情報政策担当に連絡してください。"
    )


class CoreNotFound(CoreSystemError):
    code = "core_not_found"
    default_message = "該当する住民が見つかりません。入力内容を確認するか、手入力で続けてください。"


class CoreBadResponse(CoreSystemError):
    code = "core_bad_response"
    default_message = (
        "基幹システム（住民記録）から読めない応答がありました。手入力で続けてください。"
    )
