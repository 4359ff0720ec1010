"""Lay a signature or a 見本 watermark onto an already rendered form, without rendering it again.

A form is drawn once per content (``render_unsigned``: no signature, no watermark). The preview
is that PDF with the watermark laid on top (``preview_of``); the signed document is the same
PDF with the resident's signature laid into the signature box (``signed_of``). The signed
document therefore never carries the watermark, and both share the one expensive rendering.

Laying on is cheap: the overlay (a one-page PDF with only the marks) becomes a Form XObject
referenced from a content stream appended to every page; the page's own content streams are
kept as they are, wrapped in ``q … Q`` so the overlay starts from the default graphics state.
The result is an incremental update: the rendered bytes unchanged, followed by the new objects,
so a signed document visibly contains the very page the resident was shown.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from contracts import GuidanceResult, Signature, VisitRecord
from forms.font_tables import keep_tables_of_loaded_fonts
from forms.fonts import registered_font
from forms.layout import Layout, load_layout
from forms.pdf import PAGE_H, PAGE_W, Rendered, draw_signature_marks, render_form

WATERMARK = "見本"
SIGNATURE_XOBJECT = "MadoguchiSignature"
WATERMARK_XOBJECT = "MadoguchiWatermark"


def render_unsigned(
    name: str, record: VisitRecord, guidance: GuidanceResult | None = None
) -> Rendered:
    """The form as the record fills it: no signature and no watermark (the shared base)."""
    keep_tables_of_loaded_fonts()
    return render_form(name, record, guidance)


def signed_of(base: Rendered, name: str, signature: Signature) -> Rendered:
    """``base`` with ``signature`` in the layout's signature box on every sheet."""
    layout = load_layout(name)
    if layout.signature is None:
        return base  # a form without a signature box is the same signed or not
    overlay = signature_overlay(layout, signature)
    return base._replace(content=lay_over(base.content, overlay, SIGNATURE_XOBJECT))


def preview_of(base: Rendered, name: str) -> Rendered:
    """``base`` with 見本 across every sheet of a form that is to be signed."""
    layout = load_layout(name)
    if layout.signature is None:
        return base  # nothing to sign, so nothing to mistake for a signed form
    overlay = watermark_overlay(layout)
    return base._replace(content=lay_over(base.content, overlay, WATERMARK_XOBJECT))


def signature_overlay(layout: Layout, signature: Signature) -> bytes:
    assert layout.signature is not None
    box = layout.signature
    return _one_page(lambda canvas: draw_signature_marks(canvas, box, signature))


def watermark_overlay(layout: Layout) -> bytes:
    return _watermark(layout.font)


@lru_cache(maxsize=4)
def _watermark(font_role: str) -> bytes:
    """The same for every form in one font: drawn (and its glyphs subset) once."""

    def draw(canvas: Canvas) -> None:
        canvas.saveState()
        canvas.setFillGray(0.55)
        canvas.setFillAlpha(0.22)
        canvas.translate(PAGE_W / 2, PAGE_H / 2)
        canvas.rotate(35)
        canvas.setFont(registered_font(font_role), 190)
        canvas.drawCentredString(0, -60, WATERMARK)
        canvas.restoreState()

    return _one_page(draw)


def _one_page(draw: Callable[[Canvas], None]) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def lay_over(base: bytes, overlay: bytes, name: str) -> bytes:
    """Every page of ``base`` with the first page of ``overlay`` drawn on top of it, as the
    Form XObject ``name``."""
    writer = PdfWriter(io.BytesIO(base), incremental=True)
    marks = PdfReader(io.BytesIO(overlay)).pages[0]
    form = DecodedStreamObject()
    contents = marks.get_contents()
    form.set_data(contents.get_data() if contents is not None else b"")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(marks.mediabox),
            NameObject("/Resources"): marks.get("/Resources", DictionaryObject()).clone(writer),
        }
    )
    form_ref = writer._add_object(form)
    xobject = NameObject(f"/{name}")
    save = writer._add_object(_stream(b"q\n"))
    draw = writer._add_object(_stream(b"Q\nq " + xobject.encode() + b" Do Q\n"))
    for page in writer.pages:
        resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
        xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
        xobjects[xobject] = form_ref
        own = page.get("/Contents")
        streams = own.get_object() if own is not None else ArrayObject()
        if not isinstance(streams, ArrayObject):
            streams = ArrayObject([own])
        page[NameObject("/Contents")] = ArrayObject([save, *streams, draw])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream
