"""A municipality's own layout of a form, checked before it is stored: the layout (YAML or
JSON, the format of ``forms/layouts``) and its background PDF.

Every problem found is reported, each in one sentence a municipality's admin can act on
(「fields の 2 番目「applicant_nam」はこの様式にない項目です」), not only the first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from forms.data import BINDINGS, COMMON_VALUES, FORM_CHECKS, FORM_VALUES, ROW_KEYS
from forms.errors import FormsError, LayoutError
from forms.layout import Layout, load_layout, parse_layout_text

MAX_LAYOUT_CHARS = 256_000
MAX_BACKGROUND_BYTES = 5_000_000
MAX_BACKGROUND_PAGES = 20
PAGE_W_MM, PAGE_H_MM = 210.0, 297.0
_PT_PER_MM = 72 / 25.4
_A4_TOLERANCE_MM = 3.0


class LayoutRefused(FormsError):
    """The uploaded layout or background cannot be used; ``issues`` lists every reason."""

    code = "forms.layout_refused"

    def __init__(self, issues: list[str]) -> None:
        super().__init__("様式レイアウトを登録できません: " + " / ".join(issues))
        self.issues = issues


def checked_layout(form: str, text: str, background: bytes | None) -> Layout:
    """The layout of ``form`` in ``text`` filled onto ``background``, or LayoutRefused."""
    if form not in BINDINGS:
        raise LayoutRefused([f"様式「{form}」はありません。使える様式: {', '.join(BINDINGS)}"])
    if len(text) > MAX_LAYOUT_CHARS:
        raise LayoutRefused([f"レイアウトが大きすぎます（上限 {MAX_LAYOUT_CHARS:,} 文字）"])
    try:
        layout = parse_layout_text(text, f"{form}（アップロード）")
    except LayoutError as error:
        raise LayoutRefused([error.message]) from error
    issues = [*_form_issues(form, layout), *_key_issues(form, layout), *_page_issues(layout)]
    if background is not None:
        issues += background_issues(background)
    if issues:
        raise LayoutRefused(issues)
    return layout.with_background(background)


def _form_issues(form: str, layout: Layout) -> Iterator[str]:
    if layout.form != form:
        yield (
            f"レイアウトの form が「{layout.form}」です。"
            f"「{form}」の様式として登録するには form: {form} にしてください"
        )
    if layout.background is not None:
        yield "background は指定できません。背景の PDF はファイルとして別に選んでください"


def _key_issues(form: str, layout: Layout) -> Iterator[str]:
    values = COMMON_VALUES | FORM_VALUES[form]
    for number, field in enumerate(layout.fields, 1):
        if field.key not in values:
            yield (
                f"fields の {number} 番目「{field.key}」はこの様式にない項目です"
                f"（使える項目: {_listed(values)}）"
            )
    for number, group in enumerate(layout.checks, 1):
        if group.key not in FORM_CHECKS[form]:
            allowed = _listed(FORM_CHECKS[form]) or "なし"
            yield (
                f"checks の {number} 番目「{group.key}」はこの様式にないチェック欄です"
                f"（使えるもの: {allowed}）"
            )
    if layout.table is not None:
        yield from _table_issues(form, layout)


def _table_issues(form: str, layout: Layout) -> Iterator[str]:
    assert layout.table is not None
    builtin = load_layout(form).table
    expected = builtin.rows if builtin is not None else None
    if layout.table.rows != expected:
        yield (
            f"table の rows「{layout.table.rows}」はこの様式では使えません"
            f"（この様式: {expected or '表なし'}）"
        )
        return
    for column in layout.table.columns:
        if column.key not in ROW_KEYS[layout.table.rows]:
            allowed = _listed(ROW_KEYS[layout.table.rows])
            yield f"table の列「{column.key}」はこの表にない項目です（使える項目: {allowed}）"


def _listed(keys: frozenset[str]) -> str:
    return ", ".join(sorted(keys))


def _page_issues(layout: Layout) -> Iterator[str]:
    """Everything drawn must lie on the A4 sheet (millimetres from its top-left corner)."""
    for what, x, y, w, h in _rectangles(layout):
        if x < 0 or y < 0:
            yield f"{what}が用紙の外（左か上）にあります（x {x:g}, y {y:g}）"
        elif x + w > PAGE_W_MM:
            yield f"{what}が用紙の右端（{PAGE_W_MM:g} mm）を越えています（x {x:g} + 幅 {w:g}）"
        elif y + h > PAGE_H_MM:
            yield f"{what}が用紙の下端（{PAGE_H_MM:g} mm）を越えています（y {y:g} + 高さ {h:g}）"


def _rectangles(layout: Layout) -> Iterator[tuple[str, float, float, float, float]]:
    for text in layout.texts:
        yield f"文字「{text.text[:20]}」", text.x, text.y, 0, 0
    for box in layout.boxes:
        yield f"枠「{box.label or ''}」", box.x, box.y, box.w, box.h
    for field in layout.fields:
        yield f"項目「{field.key}」", field.x, field.y, field.w, field.h
    for group in layout.checks:
        for option in group.options:
            yield f"チェック欄「{group.key}: {option.value}」", option.x, option.y, 0, 0
    if layout.table is not None:
        table = layout.table
        width = sum(column.w for column in table.columns)
        height = table.header_h + table.row_h * table.rows_per_page
        yield "表", table.x, table.y, width, height
    if layout.signature is not None:
        sign = layout.signature
        yield "署名欄", sign.x, sign.y, sign.w, sign.h


def background_issues(pdf: bytes) -> list[str]:
    """Why ``pdf`` cannot be a form's background (empty when it can)."""
    if len(pdf) > MAX_BACKGROUND_BYTES:
        return [
            f"背景 PDF が大きすぎます（{len(pdf):,} バイト、上限 {MAX_BACKGROUND_BYTES:,} バイト）"
        ]
    if not pdf.startswith(b"%PDF-"):
        return ["背景のファイルが PDF ではありません（PDF ファイルを選んでください）"]
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            return ["背景 PDF にパスワードがかかっています。保護のない PDF を選んでください"]
        pages = list(reader.pages)
        sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        return [f"背景 PDF を読めません（壊れているか PDF ではありません: {type(error).__name__}）"]
    if not pages:
        return ["背景 PDF にページがありません"]
    if len(pages) > MAX_BACKGROUND_PAGES:
        return [
            f"背景 PDF のページが多すぎます（{len(pages)} ページ、上限 {MAX_BACKGROUND_PAGES}）"
        ]
    return [_size_issue(n, w, h) for n, (w, h) in enumerate(sizes, 1) if not _is_a4(w, h)]


def _is_a4(width_pt: float, height_pt: float) -> bool:
    width, height = width_pt / _PT_PER_MM, height_pt / _PT_PER_MM
    return (
        abs(width - PAGE_W_MM) <= _A4_TOLERANCE_MM and abs(height - PAGE_H_MM) <= _A4_TOLERANCE_MM
    )


def _size_issue(number: int, width_pt: float, height_pt: float) -> str:
    width, height = width_pt / _PT_PER_MM, height_pt / _PT_PER_MM
    return f"背景 PDF の {number} ページ目が A4 縦ではありません（{width:.0f} × {height:.0f} mm）"
