"""The signature and the 見本 watermark laid onto one shared rendering (forms.stamping)."""

from __future__ import annotations

import base64
import io
from functools import partial
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from contracts import Signature
from forms import load_layout, render_form
from forms.pdf_objects import read_skeleton
from forms.stamping import (
    WATERMARK,
    preview_of,
    render_unsigned,
    signature_update,
    signed_of,
    watermark_update,
)
from tests.helpers.forms_samples import guidance, signature, visit
from tests.helpers.pdf import pdf_text, run_tool

pytestmark = pytest.mark.usefixtures("poppler")
DPI = 40
MM = DPI / 25.4


def _image(tmp_path: Path, name: str, content: bytes) -> Image.Image:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    run_tool("pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", str(path), str(path))
    return Image.open(f"{path}.png").convert("L")


def _dark_pixels(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    x, y, w, h = box  # millimetres from the top-left, inside the box's ruled edge
    crop = image.crop(
        (int((x + 1.5) * MM), int((y + 4) * MM), int((x + w - 1.5) * MM), int((y + h - 1.5) * MM))
    )
    return sum(crop.histogram()[:128])


def test_the_signed_document_has_the_signature_and_no_watermark(tmp_path: Path) -> None:
    record, result = visit(2), guidance()
    base = render_unsigned("moving-notice", record, result)
    signed = signed_of(base, "moving-notice", signature())
    preview = preview_of(base, "moving-notice")
    box = load_layout("moving-notice").signature
    assert box is not None
    signature_box = (box.x, box.y, box.w, box.h)  # where the layout puts it

    assert _dark_pixels(_image(tmp_path, "base", base.content), signature_box) == 0
    assert _dark_pixels(_image(tmp_path, "signed", signed.content), signature_box) > 20
    (tmp_path / "signed.pdf").write_bytes(signed.content)
    (tmp_path / "preview.pdf").write_bytes(preview.content)
    signed_text, preview_text = (
        _flat_text(tmp_path / "signed.pdf"),
        _flat_text(tmp_path / "preview.pdf"),
    )
    assert WATERMARK not in signed_text
    assert preview_text.endswith(WATERMARK)  # laid over the page, drawn last
    # The preview is the same filled form as the signed one: the same text under the marks.
    assert preview_text.removesuffix(WATERMARK) == signed_text


def _flat_text(path: Path) -> str:
    """The text without white space (poppler breaks the slanted 見本 into one line a glyph)."""
    return "".join(pdf_text(path).split())


def test_laying_on_looks_like_drawing_the_signature_in(tmp_path: Path) -> None:
    """The stamped document and one rendered with the signature differ by no visible pixel."""
    record, sig = visit(4), signature()
    stamped = signed_of(render_unsigned("moving-notice", record), "moving-notice", sig)
    drawn = render_form("moving-notice", record, signature=sig)
    difference = ImageChops.difference(
        _image(tmp_path, "stamped", stamped.content), _image(tmp_path, "drawn", drawn.content)
    )
    assert sum(difference.histogram()[65:]) < 20


def test_a_drawn_image_signature_is_laid_on_as_it_is_drawn_in(tmp_path: Path) -> None:
    """A signature sent as an image (not strokes) goes through a rendered overlay."""
    image = Image.new("RGBA", (200, 80), (255, 255, 255, 0))
    for x in range(10, 190):
        for y in range(36, 44):
            image.putpixel((x, y), (0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    sig = Signature(width=200, height=80, png_base64=base64.b64encode(buffer.getvalue()).decode())
    record = visit(2)
    stamped = signed_of(render_unsigned("moving-notice", record), "moving-notice", sig)
    drawn = render_form("moving-notice", record, signature=sig)
    stamped_image = _image(tmp_path, "stamped", stamped.content)
    difference = ImageChops.difference(stamped_image, _image(tmp_path, "drawn", drawn.content))
    assert sum(difference.histogram()[65:]) < 20
    box = load_layout("moving-notice").signature
    assert box is not None
    assert _dark_pixels(stamped_image, (box.x, box.y, box.w, box.h)) > 20


def test_every_sheet_of_a_long_form_is_signed() -> None:
    base = render_unsigned("moving-notice", visit(9))
    signed = signed_of(base, "moving-notice", signature())
    pages = PdfReader(io.BytesIO(signed.content)).pages
    assert len(pages) == len(PdfReader(io.BytesIO(base.content)).pages) > 1
    assert signed.content.startswith(base.content)  # an incremental update of the rendering
    for page in pages:
        assert "/MadoguchiSignature" in page["/Resources"]["/XObject"]  # type: ignore[index]


def test_a_form_without_a_signature_box_is_left_as_it_is() -> None:
    base = render_unsigned("checklist", visit(2), guidance())
    assert signed_of(base, "checklist", signature()) == base
    assert preview_of(base, "checklist") == base


def test_a_fonts_tables_are_copied_out_once() -> None:
    """reportlab copies the whole glyf table (megabytes) for every subset it embeds."""
    from reportlab.pdfbase import pdfmetrics

    from forms.fonts import registered_font

    first = render_unsigned("moving-notice", visit(2))
    face = pdfmetrics.getFont(registered_font("gothic")).face
    render_unsigned("moving-notice", visit(2))
    assert face.get_table("glyf") is face.get_table("glyf")
    again = render_unsigned("moving-notice", visit(2))
    assert len(again.content) == len(first.content)  # the same embedded subsets


@pytest.mark.parametrize("people", [2, 9])  # one sheet, several sheets
def test_an_update_from_the_skeleton_is_the_update_read_from_the_pdf(people: int) -> None:
    """The skeleton kept when the form was written (no reading back) gives the very bytes
    that reading the rendered PDF with pypdf gives."""
    base = render_unsigned("moving-notice", visit(people))
    assert base.skeleton is not None
    assert base.skeleton == read_skeleton(base.content)
    sig = signature()
    for update in (
        partial(signature_update, name="moving-notice", signature=sig),
        partial(watermark_update, name="moving-notice"),
    ):
        assert update(base.skeleton) == update(base.content)
    signed = signed_of(base, "moving-notice", sig)
    assert signed.skeleton is None  # it describes the rendering, not what was laid over it
    assert watermark_update(read_skeleton(signed.content), "moving-notice") == watermark_update(
        signed.content, "moving-notice"
    )


def test_the_skeleton_of_a_rendered_form_is_not_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """reportlab's page dictionaries and trailer are read without pypdf's reader."""
    from forms import pdf_objects

    def refused(pdf: bytes) -> pdf_objects.Skeleton:
        raise AssertionError("read back with pypdf")

    monkeypatch.setattr(pdf_objects, "read_skeleton", refused)
    for people in (2, 9):
        assert render_unsigned("moving-notice", visit(people)).skeleton is not None
