"""外字: ideographic variation sequences print through IPAmj明朝's cmap format 14 (Moji_Joho), else
as outlines from Noto Serif CJK JP (Adobe-Japan1), and stay in the text layer; anything that
would print as a wrong glyph is refused, naming the field."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from contracts import Member, TenantRef, VisitRecord
from forms import outline_glyphs, render_form
from forms.errors import UnprintableCharacterError
from forms.fonts import clusters, missing_glyphs, string_width
from forms.pdf import _wrap
from forms.receipt import Line, rasterize
from tests.helpers.pdf import pdf_text, run_tool

pytestmark = pytest.mark.usefixtures("poppler")
adobe_japan1 = pytest.mark.usefixtures("adobe_japan1_font")

KUZU = "\u845b"
KUZU_E0102 = KUZU + "\U000e0102"  # MJ022335 in the Moji_Joho collection
KUZU_E0104 = KUZU + "\U000e0104"  # MJ022340
KUZU_ADOBE = KUZU + "\U000e0100"  # Adobe-Japan1 collection: IPAmj明朝 does not list it
KUZU_UNLISTED = KUZU + "\U000e01ef"  # a selector no collection registers for 葛


def _record(name: str, **update: object) -> VisitRecord:
    data: dict[str, object] = {
        "tenant": TenantRef(code="991007", name="窓口デモ市"),
        "event": "moving-within",
        "event_date": dt.date(2026, 4, 1),
        "filed_on": dt.date(2026, 4, 2),
        "members": [Member(name=name, kana="カサイ　タロウ", relationship="世帯主")],
    }
    return VisitRecord.model_validate({**data, **update})


def _render(tmp_path: Path, name: str, record: VisitRecord) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(render_form("moving-notice", record).content)
    return path


def _name_cell(tmp_path: Path, pdf: Path) -> Image.Image:
    """The first member's 氏名 cell at 150 dpi (x 40-70 mm, y 108-124 mm)."""
    stem = tmp_path / pdf.stem
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(stem)], check=True
    )
    px = 150 / 25.4
    box = (int(41 * px), int(109 * px), int(69 * px), int(123 * px))
    return Image.open(f"{stem}.png").convert("L").crop(box)


def test_variation_sequence_keeps_its_code_points_in_the_text_layer(tmp_path: Path) -> None:
    path = _render(tmp_path, "e0102", _record(f"{KUZU_E0102}西　太郎"))
    text = pdf_text(path)
    assert f"{KUZU_E0102}西" in text
    assert f"{KUZU}西" not in text  # the selector was not dropped
    fonts = run_tool("pdffonts", str(path))
    assert "IPAmjMincho" in fonts


def test_two_variants_print_two_different_glyphs(tmp_path: Path) -> None:
    first = _name_cell(tmp_path, _render(tmp_path, "e0102", _record(f"{KUZU_E0102}西　太郎")))
    second = _name_cell(tmp_path, _render(tmp_path, "e0104", _record(f"{KUZU_E0104}西　太郎")))
    same = _name_cell(tmp_path, _render(tmp_path, "again", _record(f"{KUZU_E0102}西　太郎")))
    assert ImageChops.difference(first, same).getbbox() is None
    assert ImageChops.difference(first, second).getbbox() is not None


def test_a_variant_glyph_advances_one_em_like_its_base() -> None:
    # A wrong advance would draw the next character over the variant.
    assert string_width(KUZU_E0102, "gothic", 10) == pytest.approx(10.0)
    assert string_width(KUZU_E0102 + "西", "gothic", 10) == pytest.approx(20.0)


@adobe_japan1
def test_an_adobe_japan1_sequence_is_drawn_and_kept_in_the_text_layer(tmp_path: Path) -> None:
    adobe = _render(tmp_path, "adobe", _record(f"{KUZU_ADOBE}西　太郎"))
    text = pdf_text(adobe)
    assert f"{KUZU_ADOBE}西" in text  # copy and search give base + selector
    assert f"{KUZU}西" not in text
    assert "Noto" not in run_tool("pdffonts", str(adobe))  # an outline, not an embedded font
    cell = _name_cell(tmp_path, adobe)
    plain = _name_cell(tmp_path, _render(tmp_path, "plain", _record(f"{KUZU}西　太郎")))
    moji_joho = _name_cell(tmp_path, _render(tmp_path, "e0102", _record(f"{KUZU_E0102}西　太郎")))
    assert ImageChops.difference(cell, plain).getbbox() is not None  # not the base glyph
    assert ImageChops.difference(cell, moji_joho).getbbox() is not None
    again = _name_cell(tmp_path, _render(tmp_path, "again", _record(f"{KUZU_ADOBE}西　太郎")))
    assert ImageChops.difference(cell, again).getbbox() is None  # the same once fonts are warm
    # The outline fills the first em; the invisible text advances like it, so 西　太郎 lands
    # exactly where it does after a one-em IPAmj variant.
    first_em = (0, 0, int(10 * 150 / 72) + 12, cell.height)  # the 葛 and the cell's padding
    rest = (first_em[2], 0, cell.width, cell.height)
    assert cell.crop(first_em).getextrema()[0] < 128
    assert ImageChops.difference(cell.crop(rest), moji_joho.crop(rest)).getbbox() is None
    assert string_width(KUZU_ADOBE + "西", "gothic", 10) == pytest.approx(20.0)


def test_a_sequence_no_font_lists_is_refused_naming_member_and_field() -> None:
    with pytest.raises(UnprintableCharacterError) as refused:
        render_form("moving-notice", _record(f"{KUZU_UNLISTED}西　太郎"))
    message = refused.value.message
    assert "番号1の方（世帯主）の「氏名」" in message
    assert "U+845B U+E01EF" in message
    assert "西　太郎" not in message  # the person is named by row and 続柄, not by the name


def test_without_the_adobe_japan1_font_its_sequences_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outline_glyphs, "has_outline", lambda sequence: False)
    with pytest.raises(UnprintableCharacterError) as refused:
        render_form("moving-notice", _record(f"{KUZU_ADOBE}西　太郎"))
    assert "U+845B U+E0100" in refused.value.message


def test_private_use_character_is_refused_in_a_field() -> None:
    record = _record("窓口　太郎", household_head="窓口　\ue000郎")
    with pytest.raises(UnprintableCharacterError) as refused:
        render_form("moving-notice", record)
    assert "「世帯主（世帯変更では旧世帯主）」" in refused.value.message
    assert "U+E000" in refused.value.message


@adobe_japan1
def test_private_use_is_refused_even_where_a_font_may_have_a_glyph() -> None:
    assert missing_glyphs("\ue000\U000f0001", "gothic") == ["\ue000", "\U000f0001"]
    assert missing_glyphs(KUZU_E0102, "gothic") == []
    assert missing_glyphs(KUZU_ADOBE, "gothic") == []
    assert missing_glyphs(KUZU_UNLISTED, "gothic") == [KUZU_UNLISTED]


def test_wrapping_never_separates_a_selector_from_its_character() -> None:
    text = (KUZU_E0102 + "西") * 12
    lines = _wrap(text, "gothic", 11, 12)
    assert len(lines) > 1
    assert "".join(lines) == text
    assert all(list(clusters(line)) and len(next(clusters(line))) <= 2 for line in lines)
    assert not any(line[0] in "\U000e0102" for line in lines)


@adobe_japan1
def test_a_receipt_draws_the_adobe_japan1_variant() -> None:
    def drawn(name: str) -> Image.Image:
        return rasterize([Line(name, "large")], 200).convert("L")

    assert ImageChops.difference(drawn(KUZU_ADOBE), drawn(KUZU)).getbbox() is not None
    assert drawn(KUZU_ADOBE).getextrema()[0] == 0  # something was drawn
