"""Errors of the guidance engine and the catalog, with stable codes and messages for clerks.

Part of the one error hierarchy (``backend.platform.errors``): the API renders them as
``{"error": {"code", "message", ...}}``; the CLI prints their lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.platform.errors import MadoguchiError


class GuidanceError(MadoguchiError):
    status_code = 400
    code = "guidance_error"
    default_message = "手続き案内を作成できませんでした。"


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
            f"手続きカタログに誤りが {len(issues)} 件あります。各行を確認してください。",
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
