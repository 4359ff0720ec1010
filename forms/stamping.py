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

import hashlib
import io
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    StreamObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from contracts import GuidanceResult, Signature, VisitRecord
from forms.font_tables import keep_tables_of_loaded_fonts
from forms.fonts import registered_font
from forms.layout import Layout, SignatureBox, load_layout
from forms.pdf import PAGE_H, PAGE_W, Rendered, draw_signature_marks, render_form
from forms.pdf_objects import (
    Pieces,
    Serialiser,
    Skeleton,
    filled,
    joined,
    merged,
    read_skeleton,
    stream_tail,
    written,
)

WATERMARK = "見本"
SIGNATURE_XOBJECT = "MadoguchiSignature"
WATERMARK_XOBJECT = "MadoguchiWatermark"


def render_unsigned(
    name: str,
    record: VisitRecord,
    guidance: GuidanceResult | None = None,
    layout: Layout | None = None,
) -> Rendered:
    """The form as the record fills it: no signature and no watermark (the shared base).
    ``layout``: a municipality's own layout of the form (else the one ``load_layout`` finds)."""
    keep_tables_of_loaded_fonts()
    return render_form(name, record, guidance, layout=layout)


def signed_of(
    base: Rendered, name: str, signature: Signature, layout: Layout | None = None
) -> Rendered:
    """``base`` with ``signature`` in the layout's signature box on every sheet."""
    return appended(base, signature_update(skeleton_of(base), name, signature, layout))


def preview_of(base: Rendered, name: str, layout: Layout | None = None) -> Rendered:
    """``base`` with 見本 across every sheet of a form that is to be signed."""
    return appended(base, watermark_update(skeleton_of(base), name, layout))


# What the render pool (backend.counter.rendering) runs: the bytes to append to the rendered
# form rather than the whole document, so that only they travel back from the worker process.


def skeleton_of(base: Rendered) -> bytes | Skeleton:
    """What an update of ``base`` is built from: its skeleton when it was rendered here (a
    few hundred bytes instead of the whole form to send to the render pool, nothing to read
    back), else the PDF."""
    return base.skeleton or base.content


def appended(base: Rendered, update: bytes) -> Rendered:
    """``base`` followed by ``update`` (from ``signature_update`` or ``watermark_update``)."""
    return base._replace(content=base.content + update, skeleton=None) if update else base


def signature_update(
    base: bytes | Skeleton, name: str, signature: Signature, layout: Layout | None = None
) -> bytes:
    """The incremental update laying ``signature`` into the signature box of every sheet of
    ``base``; empty for a form without a signature box (the same signed or not)."""
    layout = layout or load_layout(name)
    if layout.signature is None:
        return b""
    marks = _stroke_marks(layout.signature, signature) if signature.strokes else None
    return update_over(base, marks or signature_overlay(layout, signature), SIGNATURE_XOBJECT)


def watermark_update(base: bytes | Skeleton, name: str, layout: Layout | None = None) -> bytes:
    """The incremental update laying 見本 over every sheet of ``base``; empty for a form that
    is not to be signed (nothing to mistake for a signed form)."""
    layout = layout or load_layout(name)
    if layout.signature is None:
        return b""
    return update_over(base, _watermark_marks(watermark_overlay(layout)), WATERMARK_XOBJECT)


def render_with_watermark(
    name: str,
    record: VisitRecord,
    guidance: GuidanceResult | None = None,
    layout: Layout | None = None,
) -> tuple[Rendered, bytes]:
    """The unsigned form and the update that makes its preview, in one call (one round trip
    to the render pool instead of two, the rendered form sent once instead of three times)."""
    base = render_unsigned(name, record, guidance, layout)
    return base, watermark_update(skeleton_of(base), name, layout)


def watermarked(base: Rendered, layout: Layout) -> Rendered:
    """``base`` with 見本 across every sheet, whatever the form."""
    marks = _watermark_marks(watermark_overlay(layout))
    return appended(base, update_over(skeleton_of(base), marks, WATERMARK_XOBJECT))


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

    return _one_page(draw, registered_font(font_role))


def _one_page(draw: Callable[[Canvas], None], font: str | None = None) -> bytes:
    """``font``: the watermark's, so that the page lists no Helvetica (never embedded)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _Marks(NamedTuple):
    """An overlay's first page as a Form XObject: serialised objects, ``form`` the XObject."""

    objects: tuple[Pieces, ...]
    form: int


def _marks(overlay: bytes) -> _Marks:
    page = PdfReader(io.BytesIO(overlay)).pages[0]
    serialiser = Serialiser(hashlib.sha256(overlay).hexdigest())
    contents = page.get("/Contents")
    stream = contents.get_object() if contents is not None else None
    if isinstance(stream, ArrayObject):  # reportlab writes one stream; others may not
        stream = _stream(b"".join(part.get_object().get_data() for part in stream))
    if not isinstance(stream, StreamObject):
        stream = _stream(b"")
    box = b" ".join(written(value) for value in page.mediabox)
    head: list[bytes | int] = [
        b"<< /Type /XObject /Subtype /Form /BBox [" + box + b"] /Resources ",
        *serialiser.pieces(page.get("/Resources", DictionaryObject())),
    ]
    for key in ("/Filter", "/DecodeParms"):
        if key in stream:
            head += [b" ", written(NameObject(key)), b" ", *serialiser.pieces(stream[key])]
    form = merged(stream_tail(stream, head))
    return _Marks((*serialiser.objects(), form), len(serialiser.pending))


def _stroke_marks(box: SignatureBox, signature: Signature) -> _Marks:
    """Strokes need no resources: their Form XObject is the operators reportlab draws them
    with, taken from the canvas without writing a PDF and reading it back (a drawn image,
    which needs an image object, goes through ``signature_overlay``)."""
    canvas = Canvas(io.BytesIO(), pagesize=A4)
    draw_signature_marks(canvas, box, signature)
    operators = "\n".join(canvas._code).encode()
    form = (
        f"<< /Type /XObject /Subtype /Form /BBox [0 0 {PAGE_W:.4f} {PAGE_H:.4f}] "
        f"/Resources << >> /Length {len(operators)} >>\nstream\n"
    ).encode()
    return _Marks(((form + operators + b"\nendstream",),), 0)


@lru_cache(maxsize=8)
def _watermark_marks(overlay: bytes) -> _Marks:
    """The 見本 overlay read once per process (the signatures are not kept: personal data)."""
    return _marks(overlay)


def update_over(base: bytes | Skeleton, overlay: bytes | _Marks, name: str) -> bytes:
    """The bytes to append to ``base`` so that every page shows the first page of
    ``overlay`` on top of it, as the Form XObject ``name``: an incremental update.

    ``base`` is the PDF or, for a form rendered here, its skeleton (``Rendered.skeleton``:
    its page dictionaries, trailer and size, kept when it was written), so that nothing is
    read back; a PDF's page dictionaries are read with pypdf (lazily). The new objects are
    the overlay's (numbered after the base's last one), two small content streams and the
    updated pages, followed by their cross-reference section and a trailer pointing back
    to the base's (``/Prev``). Copying the whole document instead (pypdf's writer) cost as
    much as rendering the form again.
    """
    marks = _marks(overlay) if isinstance(overlay, bytes) else overlay
    skeleton = base if isinstance(base, Skeleton) else read_skeleton(base)
    update = _Update(skeleton.size)
    form = update.add_marks(marks)
    save = update.add_stream(b"q\n")
    xobject = written(NameObject(f"/{name}"))
    draw = update.add_stream(b"Q\nq " + xobject + b" Do Q\n")
    slots = [xobject + b" %d 0 R" % form, b"%d 0 R" % save, b"%d 0 R" % draw]
    for number, template in skeleton.pages:
        update.replace(number, filled(template, slots))
    return update.after(skeleton)


class _Update:
    """The objects of one incremental update, numbered from the base's ``/Size``."""

    def __init__(self, size: int) -> None:
        self.next = size
        self.objects: dict[int, bytes] = {}

    def add_stream(self, data: bytes) -> int:
        number, self.next = self.next, self.next + 1
        self.objects[number] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)
        return number

    def add_marks(self, marks: _Marks) -> int:
        """The overlay's objects, numbered here; the number of its Form XObject."""
        first = self.next
        self.next += len(marks.objects)
        for index, pieces in enumerate(marks.objects):
            self.objects[first + index] = joined(pieces, lambda taken: first + taken)
        return first + marks.form

    def replace(self, number: int, obj: bytes) -> None:
        self.objects[number] = obj

    def after(self, base: Skeleton) -> bytes:
        """The update's bytes, to be appended to the PDF of ``base`` (offsets count from
        its start)."""
        out = io.BytesIO()
        start = base.length
        if not base.newline:
            out.write(b"\n")
        offsets = {}
        for number, obj in sorted(self.objects.items()):
            offsets[number] = start + out.tell()
            out.write(b"%d 0 obj\n" % number)
            out.write(obj)
            out.write(b"\nendobj\n")
        xref = start + out.tell()
        out.write(b"xref\n0 1\n0000000000 65535 f \n")  # readers expect the free-list head
        for number, offset in sorted(offsets.items()):
            out.write(b"%d 1\n%010d 00000 n \n" % (number, offset))
        out.write(b"trailer\n<<\n" + base.trailer)
        out.write(b"/Size %d\n/Prev %d\n>>" % (self.next, base.startxref))
        out.write(b"\nstartxref\n%d\n%%%%EOF\n" % xref)
        return out.getvalue()


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream
