"""Errors a card read can end with: one class per outcome, each with a stable code.

The code is for machines (the counter agent, the CLI's ``--json``), the message is for the clerk,
in Japanese, saying what happened and what to do. ``exit_code`` is the CLI contract of
``madoguchi card read``. No error ever carries a PIN or a 個人番号.
"""

from __future__ import annotations

from typing import Any


class CardError(Exception):
    code = "card_error"
    exit_code = 16
    default_message = "カードの読み取りに失敗しました。"

    def __init__(self, message: str | None = None, *, retries_left: int | None = None) -> None:
        self.message = message or self.default_message
        self.retries_left = retries_left
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.retries_left is not None:
            body["retries_left"] = self.retries_left
        return {"error": body}


class PcscUnavailable(CardError):
    code = "pcsc_unavailable"
    exit_code = 10
    default_message = (
        "カードリーダーのサービス (PC/SC) が動いていません。"
        "pcscd (Windows では Smart Card サービス) を起動してください。"
    )


class NoReader(CardError):
    code = "no_reader"
    exit_code = 10
    default_message = "カードリーダーが見つかりません。リーダーの接続を確認してください。"


class NoCard(CardError):
    code = "no_card"
    exit_code = 11
    default_message = (
        "カードが置かれていません。"
        "マイナンバーカードをリーダーに置いてから、もう一度お試しください。"
    )


class NotMyNumberCard(CardError):
    code = "not_my_number_card"
    exit_code = 12
    default_message = (
        "マイナンバーカードではないか、券面事項入力補助の機能がないカードです。"
        "カードを確認してください。"
    )


class WrongPin(CardError):
    code = "wrong_pin"
    exit_code = 13
    default_message = "暗証番号が違います。"

    def __init__(self, message: str | None = None, *, retries_left: int | None = None) -> None:
        if message is None and retries_left is not None:
            message = f"暗証番号が違います。あと {retries_left} 回間違えるとロックされます。"
        super().__init__(message, retries_left=retries_left)


class PinBlocked(CardError):
    code = "pin_blocked"
    exit_code = 14
    default_message = (
        "券面事項入力補助用暗証番号がロックされています。暗証番号は送信していません。"
        "お住まいの市区町村のマイナンバーカード窓口で暗証番号の初期化（再設定）を"
        "してもらうよう案内してください。"
    )

    def __init__(self, message: str | None = None, *, retries_left: int | None = 0) -> None:
        super().__init__(message, retries_left=retries_left)


class LastTryRefused(CardError):
    code = "last_try_refused"
    exit_code = 15
    default_message = (
        "暗証番号の残り回数が 1 回です。間違えるとロックされるため、暗証番号は送信していません。"
        "ご本人に確認のうえ、最後の 1 回を使う場合は明示的に許可してください "
        "(--allow-last-try)。"
    )

    def __init__(self, message: str | None = None, *, retries_left: int | None = 1) -> None:
        super().__init__(message, retries_left=retries_left)


class CardRemoved(CardError):
    code = "card_removed"
    exit_code = 16
    default_message = (
        "読み取り中にカードが外れたか、リーダーとの通信に失敗しました。"
        "カードを置き直して、もう一度お試しください。"
    )


class CardCommunicationError(CardError):
    code = "communication_error"
    exit_code = 16
    default_message = "カードとの通信に失敗しました。カードを置き直して、もう一度お試しください。"


class CardDataMalformed(CardError):
    code = "data_malformed"
    exit_code = 17
    default_message = (
        "カードのデータを解釈できませんでした。カードが破損している可能性があります。"
        "手入力で対応し、カードの交付窓口に相談するよう案内してください。"
    )


class IntegrityCheckFailed(CardDataMalformed):
    code = "integrity_failed"
    exit_code = 17
    default_message = (
        "カードのデータの完全性検証に失敗しました (ハッシュ値の不一致)。"
        "読み取った内容は使用できません。手入力で対応してください。"
    )


class InvalidPinFormat(CardError):
    """The PIN typed is not 4 digits: refused before anything reaches the card."""

    code = "invalid_pin_format"
    exit_code = 13
    default_message = "暗証番号は数字 4 桁です。カードには送信していません。"
