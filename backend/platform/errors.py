"""One typed error hierarchy: each error has a stable code, an HTTP status and a message.

Routes and services raise these; one handler in ``backend.app`` turns them into
``{"error": {"code": ..., "message": ...}}``. Messages are written for the clerk, in Japanese.
"""

from __future__ import annotations

from typing import Any


class MadoguchiError(Exception):
    status_code = 500
    code = "internal_error"
    default_message = "内部エラーが発生しました。管理者に連絡してください。"

    def __init__(
        self, message: str | None = None, *, code: str | None = None, **details: Any
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.details = details
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}


class BadRequest(MadoguchiError):
    status_code = 400
    code = "bad_request"
    default_message = "入力内容に誤りがあります。"


class ValidationFailed(BadRequest):
    status_code = 422
    code = "validation_failed"
    default_message = "入力内容を確認してください。"


class NotAuthenticated(MadoguchiError):
    status_code = 401
    code = "not_authenticated"
    default_message = "ログインしてください。"


class Forbidden(MadoguchiError):
    status_code = 403
    code = "forbidden"
    default_message = "この操作を行う権限がありません。"


class NotFound(MadoguchiError):
    status_code = 404
    code = "not_found"
    default_message = "見つかりません。"


class Conflict(MadoguchiError):
    status_code = 409
    code = "conflict"
    default_message = "他の操作と競合しました。もう一度お試しください。"


class PayloadTooLarge(MadoguchiError):
    status_code = 413
    code = "payload_too_large"
    default_message = "送信されたデータが大きすぎます。"


class ServiceUnavailable(MadoguchiError):
    status_code = 503
    code = "service_unavailable"
    default_message = "サービスを一時的に利用できません。しばらくしてからお試しください。"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    default_message = "データベースに接続できません。しばらくしてからお試しください。"
