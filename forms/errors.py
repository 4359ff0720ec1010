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
    """A character (or variation sequence) no font can draw, or a private-use code point.

    ``where`` names the member and the field as the form shows them (e.g. 番号2の方（妻）の
    「氏名」); it never repeats the personal data itself, since messages reach logs.
    """

    code = "forms.unprintable_character"

    def __init__(self, chars: list[str], where: str | None = None) -> None:
        listed = " ".join(f"{c} ({' '.join(f'U+{ord(x):04X}' for x in c)})" for c in chars)
        place = f"{where}に" if where else ""
        super().__init__(
            f"{place}印字できない文字があります: {listed}。"
            "外字（私用領域の文字や、フォントにない異体字）は正しい字形で印字できません。"
            "職員が文字を確認し、印字できる字形（IPAmj明朝の異体字シーケンスなど）に"
            "直してください。"
        )
        self.chars = chars
        self.where = where


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
