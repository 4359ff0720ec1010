"""PDF objects read with pypdf, written back as bytes without pypdf's writer.

Objects taken from one PDF into another (a layout's fixed layer into every document, the 見本
or signature marks into a rendered form) are serialised once into ``Pieces``: bytes, with an
int wherever an object refers to another object taken along (its index in the list of taken
objects). The receiving document gives each taken object a number and joins the pieces
(``joined``); nothing is parsed or copied again.

pypdf's own writing is slow for this (every name is escaped character by character); the
names reportlab writes are plain, so they are written as they are.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import NamedTuple

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    create_string_object,
)
from reportlab.pdfbase import pdfdoc

Pieces = tuple[bytes | int, ...]
_flate_level: ContextVar[int] = ContextVar("flate_level", default=zlib.Z_DEFAULT_COMPRESSION)


class _Flate(pdfdoc.PDFStreamFilterZCompress):
    """reportlab's FlateDecode filter, at the zlib level ``fast_flate`` sets (else zlib's
    default, as reportlab). reportlab looks the filter up (``pdfdoc.PDFZCompress``) whenever
    it makes a stream, so replacing it is enough."""

    def encode(self, text: str | bytes) -> bytes:
        data = text.encode("utf8") if isinstance(text, str) else text
        return zlib.compress(data, _flate_level.get())


pdfdoc.PDFZCompress = _Flate()

# Every name, number, reference and object header reportlab writes goes through pdfdocEnc
# (some 350 calls a document), which looks its codec up and maps each character in Python's
# charmap codec; for ASCII the codec is the identity but for 0x18-0x1F (which it refuses).
_REFUSED_BY_PDFDOC = re.compile("[\x18-\x1f]")
_pdfdoc_encoded = pdfdoc.pdfdocEnc


def _pdfdoc_enc(x: str | bytes) -> bytes:
    """``pdfdoc.pdfdocEnc``, ASCII (nearly all it is given) encoded directly: same bytes."""
    if type(x) is str and x.isascii() and not _REFUSED_BY_PDFDOC.search(x):
        return x.encode("ascii")
    return _pdfdoc_encoded(x)


pdfdoc.pdfdocEnc = _pdfdoc_enc  # looked up as a module global when called
# A name's escaping goes character by character in Python, for every key of every dictionary
# of every document (a sheet lists some fifty parts of the fixed layer): the names recur.
pdfdoc.PDFName = lru_cache(maxsize=4096)(pdfdoc.PDFName)


@contextmanager
def fast_flate() -> Iterator[None]:
    """Streams written meanwhile (in this thread) are compressed at zlib level 1.

    For what is written once per document: mostly its own font subsets (the glyphs of the
    visit's values) and its page. At level 1 that takes 40 % less time (about 0.3 ms of a
    form's 6 ms) for streams 5 % larger (about 1 KB of a 60–100 KB form); readers see the
    same. What is built once and reused (a layout's fixed layer, the 見本 overlay) keeps the
    default level: its time is spent once, its size in every document."""
    token = _flate_level.set(1)
    try:
        yield
    finally:
        _flate_level.reset(token)


_SUBSET_TAG = re.compile(r"^/[A-Z]{6}\+")
_PLAIN_NAME = re.compile(r"/[A-Za-z0-9_.+\-]*")


class Serialiser:
    """Objects of one PDF as ``Pieces``, following the references from what is asked for.

    ``key`` seeds new subset tags for the fonts taken along: reportlab tags every document's
    first subset of a font AAAAAA, so a taken subset would otherwise share its name with the
    receiving document's own subset of the same font.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.indices: dict[int, int] = {}  # object number in the source → index taken
        self.pending: list[PdfObject] = []

    def reference(self, obj: IndirectObject) -> int:
        """Take the object ``obj`` refers to (and all it refers to); its index."""
        index = self.indices.get(obj.idnum)
        if index is None:
            index = self.indices[obj.idnum] = len(self.pending)
            self.pending.append(obj.get_object() or NullObject())
        return index

    def objects(self) -> tuple[Pieces, ...]:
        """Every object taken, serialised (taking the ones they refer to as well)."""
        done: list[Pieces] = []
        while len(done) < len(self.pending):
            done.append(merged(self.pieces(self.pending[len(done)], top=True)))
        return tuple(done)

    def pieces(self, obj: PdfObject, top: bool = False) -> list[bytes | int]:
        if isinstance(obj, IndirectObject):
            return [self.reference(obj)]
        if isinstance(obj, StreamObject):
            assert top, "a stream is always an indirect object"
            return stream_tail(obj, self._dictionary(obj, [b"<<"], skip=("/Length",)))
        if isinstance(obj, DictionaryObject):
            return [*self._dictionary(obj, [b"<<"]), b" >>"]
        if isinstance(obj, ArrayObject):
            out: list[bytes | int] = [b"["]
            for value in obj:
                out += [b" ", *self.pieces(value)]
            return [*out, b" ]"]
        return [written(obj)]

    def _dictionary(
        self, obj: DictionaryObject, out: list[bytes | int], skip: tuple[str, ...] = ()
    ) -> list[bytes | int]:
        for key, value in obj.items():
            if key in skip:
                continue
            if key in ("/BaseFont", "/FontName") and isinstance(value, NameObject):
                value = NameObject(_SUBSET_TAG.sub(self._retagged, value))
            out += [b" ", written(NameObject(key)), b" ", *self.pieces(value)]
        return out

    def _retagged(self, tag: re.Match[str]) -> str:
        """reportlab's tag (AAAAAA, AAAAAB, … per subset) replaced by one of our own."""
        digest = hashlib.sha256((self.key + tag.group(0)).encode()).digest()
        return "/" + "".join(chr(ord("A") + byte % 26) for byte in digest[:6]) + "+"


def stream_tail(stream: StreamObject, head: list[bytes | int]) -> list[bytes | int]:
    """A stream's dictionary (``head``, its entries but /Length) closed, then its data, still
    encoded (its /Filter is among the entries)."""
    data = stream._data
    return [*head, b" /Length %d >>\nstream\n" % len(data), data, b"\nendstream"]


def written(obj: PdfObject) -> bytes:
    """One direct object (a name, number, string, …) as PDF bytes."""
    if isinstance(obj, NameObject) and _PLAIN_NAME.fullmatch(obj):
        return obj.encode()
    if isinstance(obj, NumberObject):
        return b"%d" % obj
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def written_as_is(obj: PdfObject) -> bytes:
    """``obj`` with its references kept as they are (for objects of the same document)."""
    if isinstance(obj, IndirectObject):
        return b"%d %d R" % (obj.idnum, obj.generation)
    if isinstance(obj, DictionaryObject):
        entries = (written(NameObject(k)) + b" " + written_as_is(v) for k, v in obj.items())
        return b"<< " + b" ".join(entries) + b" >>"
    if isinstance(obj, ArrayObject):
        return b"[" + b" ".join(written_as_is(value) for value in obj) + b"]"
    return written(obj)


def merged(pieces: Sequence[bytes | int]) -> Pieces:
    """Adjacent bytes joined, so that joining them later is quick."""
    out: list[bytes | int] = []
    for piece in pieces:
        if isinstance(piece, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += piece
        else:
            out.append(piece)
    return tuple(out)


def joined(pieces: Pieces, number: Callable[[int], int]) -> bytes:
    """The object's bytes, each reference to taken object ``i`` written as ``number(i) 0 R``."""
    return b"".join(
        piece if isinstance(piece, bytes) else b"%d 0 R" % number(piece) for piece in pieces
    )


# --- what an incremental update needs of a PDF (forms.stamping) ---------------------------

OVERLAY, BEFORE, AFTER = 0, 1, 2  # a page template's slots (``page_template``)


class Skeleton(NamedTuple):
    """What an incremental update needs of a PDF, so that laying marks over it reads nothing
    back (``forms.stamping.update_over``): each page's object number and its dictionary as
    the update rewrites it (``page_template``), the trailer's /Root, /Info and /ID entries
    as written, its /Size, where its cross-reference section starts, its length and whether
    it ends with a line end. Some hundred bytes a page: it travels with the rendering."""

    pages: tuple[tuple[int, Pieces], ...]
    trailer: bytes
    size: int
    startxref: int
    length: int
    newline: bool


class _Slot(PdfObject):
    """Where ``page_template`` leaves a slot: ``index`` is OVERLAY, BEFORE or AFTER."""

    def __init__(self, index: int) -> None:
        self.index = index


def page_template(page: DictionaryObject, resolve: Callable[[PdfObject], PdfObject]) -> Pieces:
    """The page dictionary with a slot (OVERLAY) for one more entry of its resources'
    /XObject and its content streams between two slots (BEFORE, AFTER), as
    ``written_as_is`` writes it; ``resolve`` gives the object an indirect value stands for."""
    changed = DictionaryObject(page)
    resources = _copied(resolve(page.get("/Resources", DictionaryObject())))
    xobjects = _copied(resolve(resources.get("/XObject", DictionaryObject())))
    xobjects[NameObject("/MadoguchiOverlay")] = _Slot(OVERLAY)  # the key is not written
    resources[NameObject("/XObject")] = xobjects
    changed[NameObject("/Resources")] = resources
    own = page.get("/Contents")
    streams = resolve(own) if own is not None else ArrayObject()
    if not isinstance(streams, ArrayObject):
        streams = ArrayObject([own])
    changed[NameObject("/Contents")] = ArrayObject([_Slot(BEFORE), *streams, _Slot(AFTER)])
    return merged(_as_is_pieces(changed))


def _copied(obj: PdfObject) -> DictionaryObject:
    assert isinstance(obj, DictionaryObject), obj
    return DictionaryObject(obj)


def _as_is_pieces(obj: PdfObject) -> list[bytes | int]:
    """``written_as_is``, with an int for each slot (the OVERLAY slot stands for its entry)."""
    if isinstance(obj, _Slot):
        return [obj.index]
    if isinstance(obj, DictionaryObject):
        out: list[bytes | int] = [b"<< "]
        for number, (key, value) in enumerate(obj.items()):
            out += [b" "] if number else []
            if isinstance(value, _Slot) and value.index == OVERLAY:
                out.append(OVERLAY)
            else:
                out += [written(NameObject(key)), b" ", *_as_is_pieces(value)]
        return [*out, b" >>"]
    if isinstance(obj, ArrayObject):
        out = [b"["]
        for number, value in enumerate(obj):
            out += [b" ", *_as_is_pieces(value)] if number else _as_is_pieces(value)
        return [*out, b"]"]
    return [written_as_is(obj)]


def filled(template: Pieces, slots: Sequence[bytes]) -> bytes:
    """``template`` with each slot ``i`` replaced by ``slots[i]``."""
    return b"".join(piece if isinstance(piece, bytes) else slots[piece] for piece in template)


def trailer_entries(trailer: DictionaryObject) -> bytes:
    """The trailer's /Root, /Info and /ID as a pypdf dictionary writes its entries."""
    out = io.BytesIO()
    for key, value in trailer.items():
        if key in ("/Root", "/Info", "/ID"):
            out.write(written(NameObject(key)) + b" ")
            value.write_to_stream(out)
            out.write(b"\n")
    return out.getvalue()


def start_of_xref(pdf: bytes) -> int:
    return int(pdf[pdf.rindex(b"startxref") + len(b"startxref") :].split()[0])


# reportlab's page dictionaries hold names, numbers, references, arrays and dictionaries only:
# read with a regular expression (pypdf reads them character by character).
_TOKEN = re.compile(rb"<<|>>|\[|\]|/[A-Za-z0-9_.+\-]*|[+\-]?[0-9.]+|R|\S")
# reportlab's trailer (rl_config.invariant or not): its /ID, /Info, /Root and /Size.
_REPORTLAB_TRAILER = re.compile(
    rb"trailer\n<<\n/ID \n\[<([0-9a-f]*)><([0-9a-f]*)>\]\n% [^\n]*\n\n"
    rb"/Info (\d+) 0 R\n/Root (\d+) 0 R\n/Size (\d+)\n>>\nstartxref\n\d+\n%%EOF\n$"
)


class _Unreadable(Exception):
    """Not a page dictionary ``_page_read`` reads."""


def _page_read(pdf: bytes, offset: int) -> DictionaryObject:
    """The dictionary of the object written at ``offset``, as pypdf would read it."""
    end = pdf.index(b"endobj", offset)
    tokens = _TOKEN.findall(pdf, pdf.index(b"<<", offset), end)
    obj, taken = _object(tokens, 0)
    if taken != len(tokens) or not isinstance(obj, DictionaryObject):
        raise _Unreadable
    return obj


def _object(tokens: list[bytes], at: int) -> tuple[PdfObject, int]:
    """The object starting at ``tokens[at]`` and the index after it."""
    token = tokens[at]
    if token == b"<<":
        entries = DictionaryObject()
        at += 1
        while tokens[at] != b">>":
            key = tokens[at]
            if not key.startswith(b"/"):
                raise _Unreadable
            entries[NameObject(key.decode())], at = _object(tokens, at + 1)
        return entries, at + 1
    if token == b"[":
        values = ArrayObject()
        at += 1
        while tokens[at] != b"]":
            value, at = _object(tokens, at)
            values.append(value)
        return values, at + 1
    if token.startswith(b"/"):
        return NameObject(token.decode()), at + 1
    if token[-1:].isdigit() or token.endswith(b"."):
        if tokens[at + 2 : at + 3] == [b"R"] and token.isdigit() and tokens[at + 1].isdigit():
            return IndirectObject(int(token), int(tokens[at + 1]), None), at + 3
        return (FloatObject(token.decode()) if b"." in token else NumberObject(token)), at + 1
    raise _Unreadable


def written_skeleton(pdf: bytes, pages: Sequence[tuple[int, int]]) -> Skeleton:
    """The skeleton of a PDF reportlab has just written, whose pages are objects
    ``(number, offset)``: only those dictionaries and the trailer are read (as
    ``read_skeleton`` reads them, which it is where they are not as reportlab writes them)."""
    trailer = _REPORTLAB_TRAILER.search(pdf, len(pdf) - 400)
    try:
        if trailer is None:
            raise _Unreadable
        templates = []
        for number, offset in pages:
            page = _page_read(pdf, offset)
            resources = page.get("/Resources")
            if not isinstance(resources, DictionaryObject) or isinstance(
                resources.get("/XObject"), IndirectObject
            ):
                raise _Unreadable
            # reportlab's page refers to its one content stream: the only indirect value
            templates.append((number, page_template(page, lambda value: value)))
    except (_Unreadable, IndexError, ValueError):
        return read_skeleton(pdf)
    first, second, info, root, size = trailer.groups()
    ids = ArrayObject(create_string_object(bytes.fromhex(x.decode())) for x in (first, second))
    return Skeleton(
        tuple(templates),
        trailer_entries(
            DictionaryObject(
                {
                    NameObject("/ID"): ids,
                    NameObject("/Info"): IndirectObject(int(info), 0, None),
                    NameObject("/Root"): IndirectObject(int(root), 0, None),
                }
            )
        ),
        int(size),
        start_of_xref(pdf),
        len(pdf),
        pdf.endswith(b"\n"),
    )


def read_skeleton(pdf: bytes) -> Skeleton:
    """The skeleton of any PDF, read with pypdf (its page dictionaries only: lazily)."""
    reader = PdfReader(io.BytesIO(pdf))
    templates = []
    for page in reader.pages:
        assert page.indirect_reference is not None
        templates.append((page.indirect_reference.idnum, page_template(page, _resolved)))
    return Skeleton(
        tuple(templates),
        trailer_entries(reader.trailer),
        int(reader.trailer["/Size"]),  # type: ignore[call-overload]
        start_of_xref(pdf),
        len(pdf),
        pdf.endswith(b"\n"),
    )


def _resolved(obj: PdfObject) -> PdfObject:
    return obj.get_object() or NullObject()
