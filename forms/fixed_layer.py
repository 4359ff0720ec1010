"""The fixed part of a layout (frames, headings, captions), drawn once and reused as a Form XObject.

Most of what a form draws does not depend on the visit: the boxes, the printed texts, the
captions of fields and columns, the ruled table rows, the footer rule. Drawing them (font runs,
widths, reportlab's text objects) and embedding their glyphs (subsetting and compressing the
font) cost about half of every rendering. So the fixed part of a layout is rendered once per
layout content, as numbered Form XObjects (the "parts", cut wherever a value of the visit goes
so that the text keeps its reading order), read back once with pypdf and kept as PDF objects
already serialised (``FixedLayer``), with their own embedded font subsets. Each document then
only registers those objects with its reportlab document (``install``) and places the parts
where the sheet drew them (``placed``), drawing the visit's values in between.

The fixed layer's font subsets get a subset tag of their own (derived from the layout), so a
reader never mistakes them for the document's subsets of the same font (both would otherwise
be called ``AAAAAA+IPAexGothic``).
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfdoc import PDFObject, xObjectName
from reportlab.pdfgen.canvas import Canvas

from forms.pdf_objects import Pieces, Serialiser, joined

FORM_NAME = "MadoguchiFixed"
CACHE_SIZE = 64  # layouts (built-in forms and a few municipalities' own versions)


class FixedParts(Protocol):
    def fixed(self) -> bool:
        """Begin the next fixed part; true when the caller is to draw it."""


def part_name(number: int) -> str:
    return f"{FORM_NAME}{number}"


class _Recorder:
    """While the layer is built: every part becomes a Form XObject of its own."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.count = 0

    def fixed(self) -> bool:
        self.close()
        self.canvas.beginForm(part_name(self.count))
        self.count += 1
        return True

    def close(self) -> None:
        if self.count and self.canvas._doc.inObject == "form":
            self.canvas.endForm()


class _Placer:
    """While a document is drawn: each part is the already drawn Form XObject, placed."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.count = 0

    def fixed(self) -> bool:
        self.canvas.doForm(part_name(self.count))  # keeps its own graphics state
        self.count += 1
        return False


@dataclass(frozen=True)
class FixedLayer:
    """A layout's fixed parts as PDF objects; part ``n`` is object ``parts[n]``."""

    objects: tuple[Pieces, ...]
    parts: tuple[int, ...]

    def install(self, canvas: Canvas) -> None:
        """Add the layer's objects to the document ``canvas`` writes (once per document)."""
        names = [f"{FORM_NAME}.object{index}" for index in range(len(self.objects))]
        for number, index in enumerate(self.parts):
            names[index] = xObjectName(part_name(number))
        for pieces, name in zip(self.objects, names, strict=True):
            canvas._doc.Reference(_Serialised(pieces, names), name)

    @staticmethod
    def placed(canvas: Canvas) -> FixedParts:
        """For one sheet: each ``fixed()`` places the next part (drawn before, once)."""
        return _Placer(canvas)


class _Serialised(PDFObject):
    """An object reportlab writes as given, its references renumbered for the document."""

    def __init__(self, pieces: Pieces, names: list[str]) -> None:
        self.pieces = pieces
        self.names = names

    def format(self, document: object) -> bytes:
        numbers = document.idToObjectNumberAndVersion  # type: ignore[attr-defined]
        return joined(self.pieces, lambda index: numbers[self.names[index]][0])


_cache: OrderedDict[str, FixedLayer] = OrderedDict()
_lock = threading.Lock()


def fixed_layer(key: str, font: str, draw: Callable[[Canvas, FixedParts], None]) -> FixedLayer:
    """The parts ``draw`` draws, built once per ``key`` (the layout's whole content)."""
    with _lock:
        layer = _cache.get(key)
        if layer is not None:
            _cache.move_to_end(key)
            return layer
    layer = _build(font, draw, key)
    with _lock:
        _cache[key] = layer
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return layer


def _build(font: str, draw: Callable[[Canvas, FixedParts], None], key: str) -> FixedLayer:
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=A4, initialFontName=font, initialFontSize=10, pageCompression=1
    )
    recorder = _Recorder(canvas)
    draw(canvas, recorder)
    recorder.close()
    for number in range(recorder.count):  # referenced from the page, to find them again
        canvas.doForm(part_name(number))
    canvas.showPage()
    canvas.save()
    page = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    xobjects = resources["/XObject"].get_object()
    assert isinstance(xobjects, DictionaryObject)
    forms = [xobjects.raw_get(f"/{xObjectName(part_name(n))}") for n in range(recorder.count)]
    serialiser = Serialiser(key)
    parts = tuple(serialiser.reference(form) for form in forms)
    return FixedLayer(serialiser.objects(), parts)
