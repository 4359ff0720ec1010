"""Issue 18: a municipality's own layout of a form is checked before it is stored — the layout
names only keys its form offers, everything lies on the A4 sheet, the background is a readable
A4 PDF — and a rendering with it is cached apart from the built-in layout's."""

from __future__ import annotations

import io
import pickle

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, A5
from reportlab.pdfgen.canvas import Canvas

from backend.counter import rendering
from forms import form_names, load_layout
from forms.layout import BUILTIN_DIR
from forms.sample import sample_guidance, sample_record
from forms.stamping import render_unsigned, watermarked
from forms.upload import MAX_BACKGROUND_BYTES, LayoutRefused, checked_layout
from tests.helpers.forms_samples import guidance, visit


def background_pdf(text: str = "MUNICIPAL FORM 2026", size: tuple[float, float] = A4) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size)
    canvas.drawString(40, size[1] - 40, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def builtin(form: str) -> str:
    return (BUILTIN_DIR / f"{form}.yaml").read_text(encoding="utf-8")


def refusal(form: str, text: str, background: bytes | None = None) -> list[str]:
    with pytest.raises(LayoutRefused) as refused:
        checked_layout(form, text, background)
    return refused.value.issues


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("form", form_names())
def test_every_builtin_layout_passes_the_upload_checks(form: str) -> None:
    """The list of keys each form offers (forms/data.py) agrees with the built-in layouts."""
    assert checked_layout(form, builtin(form), None).form == form


def test_an_unknown_field_is_refused_naming_it_and_what_the_form_offers() -> None:
    issues = refusal("checklist", builtin("checklist").replace("key: totals", "key: total"))
    assert len(issues) == 1
    assert "「total」はこの様式にない項目です" in issues[0] and "totals" in issues[0]


def test_an_unknown_check_group_and_table_column_are_refused() -> None:
    text = builtin("moving-notice").replace("key: office", "key: offices")
    text = text.replace("{key: kana,", "{key: furigana,")
    issues = refusal("moving-notice", text)
    assert any("「offices」はこの様式にないチェック欄です" in i for i in issues)
    assert any("table の列「furigana」" in i for i in issues)


def test_fields_outside_the_sheet_are_refused_with_where_they_end() -> None:
    text = builtin("checklist").replace("x: 12, y: 40, w: 186", "x: 30, y: 40, w: 186")
    (issue,) = refusal("checklist", text)
    assert issue == "項目「totals」が用紙の右端（210 mm）を越えています（x 30 + 幅 186）"


def test_a_layout_for_another_form_or_an_unknown_form_is_refused() -> None:
    assert "form: checklist にしてください" in refusal("checklist", builtin("moving-notice"))[0]
    assert "様式「leaflet」はありません" in refusal("leaflet", builtin("checklist"))[0]
    assert "正しくありません" in refusal("checklist", "form: [unclosed")[0]


@pytest.mark.parametrize(
    ("background", "expected"),
    [
        (b"GIF89a not a pdf", "PDF ではありません"),
        (b"%PDF-1.7\nbroken", "背景 PDF を読めません"),
        (background_pdf(size=A5), "1 ページ目が A4 縦ではありません（148 × 210 mm）"),
        (b"%PDF-" + b"0" * MAX_BACKGROUND_BYTES, "背景 PDF が大きすぎます"),
    ],
)
def test_a_background_that_is_not_a_usable_pdf_is_refused(background: bytes, expected: str) -> None:
    (issue,) = refusal("checklist", builtin("checklist"), background)
    assert expected in issue


def test_the_layout_is_drawn_on_the_uploaded_background_and_previewed_under_the_watermark() -> None:
    layout = checked_layout("checklist", builtin("checklist"), background_pdf())
    record = sample_record("012025", "見本市")
    preview = watermarked(render_unsigned("checklist", record, sample_guidance(), layout), layout)
    text = text_of(preview.content)
    assert "MUNICIPAL FORM 2026" in text  # the municipality's sheet
    assert "見本市" in text  # the record's values on top of it
    assert "見本" in text.replace("見本市", "")  # the watermark


def test_the_render_cache_keys_on_the_layout_used() -> None:
    rendering.clear_cache()
    record, result = visit(2), guidance()
    own = checked_layout(
        "checklist",
        builtin("checklist").replace("text: 手続きチェックシート", "text: 手続きのご案内"),
        None,
    )
    own = own.model_copy(update={"source": "tenant-layout:1:abc"})
    first = rendering.unsigned("checklist", record, result)
    second = rendering.unsigned("checklist", record, result, own)
    assert rendering.unsigned("checklist", record, result) is first  # cached
    assert rendering.unsigned("checklist", record, result, own) is second
    assert first.content != second.content
    assert load_layout("checklist").title in text_of(first.content)
    rendering.clear_cache()


def test_a_layout_with_its_background_crosses_to_the_render_pool() -> None:
    """The render pool (counter.rendering) receives the layout pickled: the background too."""
    background = background_pdf()
    layout = checked_layout("checklist", builtin("checklist"), background)
    stored = layout.model_copy(update={"source": "tenant-layout:1:abc"})
    arrived = pickle.loads(pickle.dumps(stored))  # noqa: S301 (our own object)
    assert arrived.background_pdf == background and arrived.source == stored.source
