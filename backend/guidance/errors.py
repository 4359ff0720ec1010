"""Errors of the guidance engine and the catalog, with stable codes and messages for clerks.

They do not depend on the web layer: ``status_code`` and ``code`` follow the foundation's
error hierarchy so that the API handler can render them as ``{"error": {...}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class GuidanceError(Exception):
    status_code = 400
    code = "guidance_error"
    default_message = "手続き案内を作成できませんでした。"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


@dataclass(frozen=True, slots=True)
class CatalogIssue:
    """One problem in a catalog file: where (line, field path) and what."""

    field: str
    message: str
    line: int | None = None

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.field or '(root)'}: {self.message}"


class CatalogInvalid(GuidanceError):
    status_code = 422
    code = "catalog_invalid"
    default_message = "手続きカタログに誤りがあります。"

    def __init__(self, source: str, issues: list[CatalogIssue]) -> None:
        self.source = source
        self.issues = issues
        super().__init__(
            f"手続きカタログに誤りが {len(issues)} 件あります。",
            issues=[
                {"line": issue.line, "field": issue.field, "message": issue.message}
                for issue in issues
            ],
        )

    def lines(self) -> list[str]:
        return [issue.render(self.source) for issue in self.issues]


class InvalidAnswer(GuidanceError):
    status_code = 422
    code = "invalid_answer"
    default_message = "回答の形式が正しくありません。"
