"""Errors of the forms package: a stable code and a message for the clerk in Japanese."""

from __future__ import annotations


class FormsError(Exception):
    code = "forms.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownFormError(FormsError):
    code = "forms.unknown_form"

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"様式「{name}」はありません。使える様式: {', '.join(known)}")


class LayoutError(FormsError):
    code = "forms.layout_invalid"


class FontMissingError(FormsError):
    code = "forms.font_missing"

    def __init__(self, role: str, candidates: list[str]) -> None:
        super().__init__(
            f"フォント ({role}) が見つかりません。fonts-ipaexfont / fonts-ipamj-mincho を"
            f"インストールしてください。探した場所: {', '.join(candidates)}"
        )


class UnprintableCharacterError(FormsError):
    code = "forms.unprintable_character"

    def __init__(self, chars: list[str]) -> None:
        listed = " ".join(f"{c} (U+{ord(c):04X})" for c in chars)
        super().__init__(
            f"印字できない文字があります: {listed}。"
            "外字フォントを追加するか、職員が確認してください。"
        )


class MissingInputError(FormsError):
    code = "forms.missing_input"


class NotIssuedHereError(FormsError):
    """A tax certificate asked of the wrong town: the 1 January municipality issues it."""

    code = "forms.not_issued_here"

    def __init__(self, fiscal_year_label: str) -> None:
        super().__init__(
            f"{fiscal_year_label}の所得・課税証明書は、1月1日に住所があった前の市区町村が"
            "発行します。この窓口では交付できません。郵送請求書"
            "（tax-certificate-postal-request）を作成してください。"
        )
