"""Render a form layout filled from the visit record to an A4 PDF.

Every sheet repeats the layout; table rows (household members, procedures) beyond
``rows_per_page`` continue on the next sheet, so every member appears. A value nobody provided
leaves its box empty.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import zxingcpp
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from contracts import GuidanceResult, Signature, VisitRecord
from forms import outline_glyphs
from forms.data import BINDINGS, FormData, moving_notice
from forms.errors import UnprintableCharacterError
from forms.fixed_layer import FixedLayer, FixedParts, fixed_layer
from forms.fonts import OUTLINE, clusters, font_runs, missing_glyphs, registered_font, string_width
from forms.layout import (
    Align,
    Column,
    Field_,
    Layout,
    SignatureBox,
    Table,
    load_layout,
)
from forms.pdf_objects import Skeleton, fast_flate, written_skeleton

PAGE_W, PAGE_H = A4
PDF = "application/pdf"
LINE = 0.6
FOOTER_QR_MM = 16
INVISIBLE = 3  # text render mode: in the text layer, not on paper
SHEET_XOBJECT = "MadoguchiSheet"


class Rendered(NamedTuple):
    """A renderer's output: (filename, content_type, bytes), as pretix's ticket outputs;
    ``skeleton``: what laying a mark over a form rendered here needs of it (forms.stamping)."""

    filename: str
    content_type: str
    content: bytes
    skeleton: Skeleton | None = None


def canonical_json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def document_hash(
    form: str, layout_version: int, record: VisitRecord, guidance: GuidanceResult | None
) -> str:
    """SHA-256 (hex) of what the resident signs: the record, the form and its layout version.

    The hashed bytes are the canonical JSON (UTF-8, keys sorted, no spaces) of
    ``{"form", "layout_version", "record", "guidance"}`` where ``record`` is
    ``VisitRecord.to_json_dict()`` (which leaves out the collections added later while they are
    empty, so older records hash as before), and ``guidance`` the GuidanceResult in JSON mode
    (or null).
    The PDF bytes cannot contain their own hash, and the signature is what binds to this hash,
    so neither is part of it. Anyone holding the record can recompute it.
    """
    return document_hashes([(form, layout_version)], record, guidance)[0]


def document_hashes(
    forms: Iterable[tuple[str, int]], record: VisitRecord, guidance: GuidanceResult | None
) -> list[str]:
    """``document_hash`` of each (form, layout version), in order, the record and the guidance
    turned into canonical JSON once for all of them (a visit signs several forms at once).

    The payload's keys sorted, as ``canonical_json`` sorts them: ``form``, ``guidance``,
    ``layout_version``, ``record``; each value canonical JSON itself.
    """
    record_json = canonical_json(record.to_json_dict())
    guidance_json = canonical_json(guidance.to_json_dict() if guidance else None)
    return [
        hashlib.sha256(
            b"".join(
                (
                    b'{"form":',
                    canonical_json(form),
                    b',"guidance":',
                    guidance_json,
                    b',"layout_version":',
                    canonical_json(layout_version),
                    b',"record":',
                    record_json,
                    b"}",
                )
            )
        ).hexdigest()
        for form, layout_version in forms
    ]


def lookup_uri(visit_id: str | None, form: str, digest: str) -> str:
    """What the footer QR code holds: no personal data, only what the back office looks up."""
    return f"madoguchi:document?visit={visit_id or ''}&form={form}&sha256={digest}"


class _Sheet:
    """Drawing helpers on one canvas, in millimetres from the top-left."""

    def __init__(self, canvas: Canvas, role: str) -> None:
        self.canvas = canvas
        self.role = role

    def text(self, x: float, y: float, text: str, size: float, align: Align = "left") -> None:
        """Draw one line with y as the baseline, switching font per character where needed."""
        width = string_width(text, self.role, size)
        left = x * mm - {"left": 0.0, "center": width / 2, "right": width}[align]
        baseline = PAGE_H - y * mm
        for run in font_runs(text, self.role):
            self.canvas.setFont(run.pdf_font(), size)
            if run.role == OUTLINE:
                self._outlines(run.text, left, baseline, size)
                draw_string(self.canvas, left, baseline, run.pdf_text(), INVISIBLE)
            else:
                draw_string(self.canvas, left, baseline, run.pdf_text())
            left += string_width(run.text, run.role, size)

    def _outlines(self, text: str, left: float, baseline: float, size: float) -> None:
        """Variation sequences no embeddable font holds, as filled glyph outlines."""
        for sequence in clusters(text):
            outline_glyphs.draw(self.canvas, sequence, left, baseline, size)
            left += outline_glyphs.advance(sequence) * size / 1000

    def box(self, x: float, y: float, w: float, h: float, fill: float | None = None) -> None:
        self.canvas.setLineWidth(LINE)
        if fill is not None:
            self.canvas.setFillGray(fill)
        self.canvas.rect(
            x * mm,
            PAGE_H - (y + h) * mm,
            w * mm,
            h * mm,
            stroke=1,
            fill=1 if fill is not None else 0,
        )
        self.canvas.setFillGray(0)

    def writing_line(self, x: float, y: float, w: float, h: float) -> None:
        """A dotted line to write on, with a small prompt: for a value nobody could provide."""
        canvas = self.canvas
        canvas.saveState()
        canvas.setLineWidth(0.4)
        canvas.setDash(1, 1.5)
        baseline = PAGE_H - (y + h * 0.55) * mm
        canvas.line((x + 1.5) * mm, baseline, (x + w - 1.5) * mm, baseline)
        canvas.restoreState()
        self.text(x + 1.2, y + h - 1.0, "ご記入ください", 5)

    def label(self, x: float, y: float, label: str | None, size: float) -> None:
        if label:
            self.text(x + 0.8, y + size * 0.3528 + 0.6, label, size)

    def boxed_value(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        value: str | None,
        *,
        size: float,
        min_size: float,
        align: Align,
        multiline: bool,
        top: float = 0.0,
    ) -> None:
        """Fit ``value`` into the box: wrap when multiline, shrink the size, never cut text."""
        if not value:
            return
        inner_w = w - 2.4
        inner_h = h - top - 1.2
        size_now = size
        while True:
            lines = _wrap(value, self.role, size_now, inner_w) if multiline else [value]
            line_h = size_now * 0.3528 * 1.25
            fits_w = all(string_width(line, self.role, size_now) <= inner_w * mm for line in lines)
            if (fits_w and len(lines) * line_h <= inner_h) or size_now <= min_size:
                break
            size_now = max(min_size, size_now - 0.5)
        block_h = len(lines) * line_h
        first_baseline = y + top + (h - top - block_h) / 2 + size_now * 0.3528 * 1.0
        anchor = {"left": x + 1.2, "center": x + w / 2, "right": x + w - 1.2}[align]
        for n, line in enumerate(lines):
            self.text(anchor, first_baseline + n * line_h, line, size_now, align)


def draw_string(canvas: Canvas, x: float, y: float, text: str, mode: int | None = None) -> None:
    """``canvas.drawString(x, y, text, mode=mode)`` in the canvas's TrueType font: the same
    operators, without what reportlab's does besides (the string's width, measured again,
    and a text object built operator by operator): 21 µs a string, some thirty a form."""
    font = pdfmetrics.getFont(canvas._fontname)
    if not getattr(font, "_dynamicFont", False) or not canvas.bottomup or mode not in _PLAIN:
        canvas.drawString(x, y, text, mode=mode)
        return
    doc = canvas._doc
    style = f"{fp_str(canvas._fontsize)} Tf {fp_str(canvas._leading)} TL"
    shown: list[str] = []
    current = -1
    for subset, codes in font.splitString(text, doc):
        if subset != current:
            shown.append(f"{font.getSubsetInternalName(subset, doc)} {style}")
            current = subset
        shown.append(f"({canvas._escape(codes)}) Tj")
    code = ["BT", f"1 0 0 1 {fp_str(x, y)} Tm"]
    if mode:
        code.append(f"{mode} Tr")
    code.append(" ".join(shown) + " T*")
    if mode:
        code.append("0 Tr")
    code.append("ET")
    canvas._code.append(" ".join(code))


_PLAIN = (None, 0, 1, 2, 3)  # text render modes that do not clip


def _wrap(text: str, role: str, size: float, width_mm: float) -> list[str]:
    """Character-level wrapping (Japanese has no spaces to break at)."""
    lines: list[str] = []
    current = ""
    for char in clusters(text):  # a variation selector stays with its character
        if char == "\n":
            lines.append(current)
            current = ""
        elif current and string_width(current + char, role, size) > width_mm * mm:
            lines.append(current)
            current = char
        else:
            current += char
    return [*lines, current] if current else lines


def _check_printable(layout: Layout, data: FormData) -> None:
    """Refuse, naming the field (and the row's person), anything the form would draw wrongly."""
    for f in layout.fields:
        _refuse_unprintable(data.values.get(f.key), layout.font, f"「{f.label or f.key}」")
    columns = layout.table.columns if layout.table else []
    for row in data.rows:
        who = f"番号{row.get('number', '')}の方" + (
            f"（{row['relationship']}）" if row.get("relationship") else ""
        )
        for column in columns:
            _refuse_unprintable(row.get(column.key), layout.font, f"{who}の「{column.label}」")


def _refuse_unprintable(text: str | None, role: str, where: str) -> None:
    missing = list(dict.fromkeys(missing_glyphs(text, role))) if text else []
    if missing:
        raise UnprintableCharacterError(missing, where)


# --- one sheet: the layout's fixed parts (forms.fixed_layer) and the visit's values -------


class _Visit(NamedTuple):
    """What one sheet shows of the visit."""

    data: FormData
    rows: Sequence[dict[str, str]]  # this sheet's table rows
    signature: Signature | None
    label: str | None  # the reception label
    qr: str  # what the footer QR code holds
    pages: str  # "1/2"


def _draw_sheet(sheet: _Sheet, layout: Layout, parts: FixedParts, visit: _Visit | None) -> None:
    """One sheet, in reading order: each caption just before its value.

    Written once for both uses: building the layout's fixed layer (``visit`` is None;
    ``parts.fixed()`` starts a new part and is true, so the fixed drawing runs) and rendering
    a document (``parts.fixed()`` places the next drawn part and is false). The fixed parts
    are cut where a value goes so that the text keeps its order (copying, searching and
    ``pdftotext -raw`` read a caption, then its value).
    """
    if parts.fixed():
        for box in layout.boxes:
            sheet.box(box.x, box.y, box.w, box.h, box.fill)
            sheet.label(box.x, box.y, box.label, box.label_size)
        for text in layout.texts:
            sheet.text(text.x, text.y, text.text, text.size, text.align)
    for f in layout.fields:
        if parts.fixed():
            if f.box:
                sheet.box(f.x, f.y, f.w, f.h)
            sheet.label(f.x, f.y, f.label, f.label_size)
        if visit is not None:
            _draw_value(sheet, f, visit.data.values.get(f.key))
    _draw_checks(sheet, layout, parts, visit)
    if layout.table is not None:
        if parts.fixed():
            _draw_table_frame(sheet, layout.table)
        if visit is not None:
            _draw_rows(sheet, layout.table, visit.rows)
    if layout.signature is not None:
        signature_box = layout.signature
        if parts.fixed():
            x, y, w, h = signature_box.x, signature_box.y, signature_box.w, signature_box.h
            sheet.box(x, y, w, h)
            sheet.label(x, y, signature_box.label, 6.5)
        if visit is not None and visit.signature is not None:
            draw_signature_marks(sheet.canvas, signature_box, visit.signature)
    if layout.footer:
        _draw_footer(sheet, layout.form, parts, visit)


def _draw_value(sheet: _Sheet, f: Field_, value: str | None) -> None:
    sheet.boxed_value(
        f.x,
        f.y,
        f.w,
        f.h,
        value,
        size=f.size,
        min_size=f.min_size,
        align=f.align,
        multiline=f.multiline,
        top=f.label_size * 0.3528 + 0.8 if f.label else 0.0,
    )


def _draw_checks(sheet: _Sheet, layout: Layout, parts: FixedParts, visit: _Visit | None) -> None:
    """Each option's square, its ✓ when the record holds its value, then its caption."""
    for group in layout.checks:
        side = group.size * 0.3528 * 1.1
        chosen = visit.data.checks.get(group.key, set()) if visit is not None else set()
        for option in group.options:
            if parts.fixed():
                sheet.box(option.x, option.y, side, side)
            if chosen & {option.value, *option.also}:
                sheet.text(option.x + side / 2, option.y + side * 0.85, "✓", group.size, "center")
            if parts.fixed():
                sheet.text(option.x + side + 1.0, option.y + side * 0.85, option.label, group.size)


def _draw_table_frame(sheet: _Sheet, table: Table) -> None:
    """The header row (shaded, with the column names) and the ruled rows of one sheet."""
    x = table.x
    for column in table.columns:
        sheet.box(x, table.y, column.w, table.header_h, fill=0.92)
        sheet.boxed_value(
            x,
            table.y,
            column.w,
            table.header_h,
            column.label,
            size=table.label_size,
            min_size=4,
            align="center",
            multiline=False,
        )
        x += column.w
    for index in range(table.rows_per_page):
        x = table.x
        for column in table.columns:
            sheet.box(x, _row_top(table, index), column.w, table.row_h)
            x += column.w


def _row_top(table: Table, index: int) -> float:
    return table.y + table.header_h + index * table.row_h


def _draw_rows(sheet: _Sheet, table: Table, rows: Sequence[dict[str, str]]) -> None:
    for index, row in enumerate(rows[: table.rows_per_page]):
        _draw_row(sheet, table, table.columns, _row_top(table, index), row)


def _draw_row(
    sheet: _Sheet, table: Table, columns: Sequence[Column], y: float, row: dict[str, str]
) -> None:
    x = table.x
    for column in columns:
        if row and column.blank_line and not row.get(column.key):
            sheet.writing_line(x, y, column.w, table.row_h)
        sheet.boxed_value(
            x,
            y,
            column.w,
            table.row_h,
            row.get(column.key),
            size=column.size,
            min_size=column.min_size,
            align=column.align,
            multiline=column.multiline,
        )
        x += column.w


def _draw_footer(sheet: _Sheet, form: str, parts: FixedParts, visit: _Visit | None) -> None:
    """The visit as people name it (ticket number and date); the hash only in the QR code."""
    if parts.fixed():
        sheet.canvas.setLineWidth(0.3)
        sheet.canvas.line(12 * mm, 24 * mm, PAGE_W - 12 * mm, 24 * mm)
    if visit is not None:
        sheet.text(12, PAGE_H / mm - 15, f"受付番号 {visit.label or ''}", 8)
    if parts.fixed():
        sheet.text(12, PAGE_H / mm - 9, f"様式 {form}", 6)
    if visit is not None:
        sheet.text(PAGE_W / mm - 14 - FOOTER_QR_MM, PAGE_H / mm - 9, visit.pages, 8, "right")
        side = FOOTER_QR_MM * mm
        _draw_qr(sheet.canvas, visit.qr, PAGE_W - (12 + FOOTER_QR_MM) * mm, 6 * mm, side)


def _fixed_layer(layout: Layout) -> FixedLayer:
    """The layout's fixed parts, drawn once per layout content (the key is all of it)."""
    return fixed_layer(
        layout.model_dump_json(),
        registered_font(layout.font),
        lambda canvas, parts: _draw_sheet(_Sheet(canvas, layout.font), layout, parts, None),
    )


def draw_signature_marks(canvas: Canvas, box: SignatureBox, signature: Signature) -> None:
    """The resident's strokes (or image) fitted into the signature box, without the box."""
    pad = 2.0
    area_w, area_h = (box.w - 2 * pad) * mm, (box.h - 2 * pad - 2.5) * mm
    scale = min(area_w / signature.width, area_h / signature.height)
    left = box.x * mm + pad * mm + (area_w - signature.width * scale) / 2
    top = PAGE_H - (box.y + pad + 2.5) * mm - (area_h - signature.height * scale) / 2
    if signature.strokes:
        _draw_strokes(canvas, signature, left, top, scale)
    elif signature.png_base64:
        image = ImageReader(io.BytesIO(base64.b64decode(signature.png_base64)))
        canvas.drawImage(
            image,
            left,
            top - signature.height * scale,
            signature.width * scale,
            signature.height * scale,
            mask="auto",
        )


def _draw_strokes(
    canvas: Canvas, signature: Signature, left: float, top: float, scale: float
) -> None:
    canvas.saveState()
    canvas.setLineWidth(1.1)
    canvas.setLineCap(1)
    canvas.setLineJoin(1)
    for stroke in signature.strokes:
        path = canvas.beginPath()
        first, *rest = stroke.points
        path.moveTo(left + first.x * scale, top - first.y * scale)
        for point in rest or [first]:
            path.lineTo(left + point.x * scale, top - point.y * scale)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.restoreState()


def _draw_qr(canvas: Canvas, content: str, x: float, y: float, side: float) -> None:
    """The QR code as vector rectangles, one per horizontal run of dark modules."""
    code = _qr_code(content)
    cell = side / code.modules
    canvas.saveState()
    canvas.transform(cell, 0, 0, -cell, x, y + side)  # one unit a module, rows downwards
    canvas.drawPath(code, stroke=0, fill=1)
    canvas.restoreState()


class _QrCode(NamedTuple):
    """A QR code as path operators; ``Canvas.drawPath`` asks a path only for ``getCode``."""

    modules: int  # on each side, without quiet zone
    operators: str  # "column row width 1 re" for each run of dark modules

    def getCode(self) -> str:
        return self.operators


_DARK_RUN = re.compile(rb"\x00+")  # zxing-cpp's image: one byte a module, 0 is dark


@lru_cache(maxsize=256)
def _qr_code(content: str) -> _QrCode:
    """Each page of a document repeats its footer QR code: encoded once per content.

    zxing-cpp (C++) encodes one in about 0.45 ms where the pure-Python encoders took 1.5 ms
    (qrcode, even with a fixed mask pattern; segno the same): the encoder was a fifth of a
    form's rendering. Error correction M, as before. The runs are written in whole module
    units (the canvas scales them): reportlab's per-number formatting of every rectangle
    cost twice the encoding.
    """
    code = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    pixels = bytes(memoryview(image))  # type: ignore[arg-type]  # a buffer; the stubs omit it
    numbers: list[int] = []  # column, row, length of each run: formatted in one go below
    for row in range(height):
        start = row * width
        for run in _DARK_RUN.finditer(pixels, start, start + width):
            left, right = run.span()
            numbers += (left - start, row, right - left)
    operators = (b"%d %d %d 1 re " * (len(numbers) // 3)) % tuple(numbers)
    return _QrCode(width, operators[:-1].decode())


def _page_count(layout: Layout, data: FormData) -> int:
    if layout.table is None or not data.rows:
        return 1
    per_page = layout.table.rows_per_page
    return (len(data.rows) + per_page - 1) // per_page


def _overlay(
    layout: Layout, data: FormData, signature: Signature | None, digest: str, record: VisitRecord
) -> tuple[bytes, list[tuple[int, int]]]:
    """The document and its pages' object numbers and offsets."""
    buffer = io.BytesIO()
    main_font = registered_font(layout.font)
    canvas = Canvas(
        buffer, pagesize=A4, initialFontName=main_font, initialFontSize=10, pageCompression=1
    )
    canvas.setTitle(layout.title)
    canvas.setAuthor("madoguchi")
    canvas.setCreator("madoguchi forms")
    canvas.setSubject(f"sha256:{digest}")  # for machines; the paper shows the reception label
    fixed = _fixed_layer(layout)
    fixed.install(canvas)
    sheet = _Sheet(canvas, layout.font)
    pages = _page_count(layout, data)
    per_page = layout.table.rows_per_page if layout.table else 0
    for page in range(pages):
        visit = _Visit(
            data,
            data.rows[page * per_page : (page + 1) * per_page] if per_page else [],
            signature,
            record.reception_label,
            lookup_uri(record.visit_id, layout.form, digest),
            f"{page + 1}/{pages}",
        )
        # The sheet as one Form XObject of its own: the page then lists one XObject instead
        # of every fixed part, and laying the signature over it (forms.stamping) reads and
        # rewrites a page dictionary of a few entries.
        canvas.beginForm(f"{SHEET_XOBJECT}{page + 1}")
        _draw_sheet(sheet, layout, fixed.placed(canvas), visit)
        canvas.endForm()
        canvas.doForm(f"{SHEET_XOBJECT}{page + 1}")
        canvas.showPage()  # 見本 is laid over previews by forms.stamping, never drawn here
    with fast_flate():
        canvas.save()
    doc = canvas._doc
    names = [f"Page{number}" for number in range(1, pages + 1)]  # reportlab's page names
    where = [(doc.idToObjectNumberAndVersion[name][0], doc.idToOffset[name]) for name in names]
    return buffer.getvalue(), where


def _merge_background(overlay: bytes, layout: Layout) -> bytes:
    path = layout.background_path()
    if layout.background_pdf is not None:
        template = PdfReader(io.BytesIO(layout.background_pdf))
    elif path is not None:
        template = PdfReader(str(path))
    else:
        return overlay
    writer = PdfWriter()
    for index, page in enumerate(PdfReader(io.BytesIO(overlay)).pages):
        writer.add_page(template.pages[min(index, len(template.pages) - 1)])
        writer.pages[index].merge_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_form(
    name: str,
    record: VisitRecord,
    guidance: GuidanceResult | None = None,
    signature: Signature | None = None,
    layout: Layout | None = None,
) -> Rendered:
    """Render form ``name`` for ``record``; returns (filename, type, bytes). ``layout`` is a
    municipality's own layout of that form (else the one ``load_layout`` finds)."""
    layout = layout or load_layout(name)
    data = BINDINGS.get(layout.form, moving_notice)(record, guidance)
    _check_printable(layout, data)
    digest = document_hash(layout.form, layout.version, record, guidance)
    content, pages = _overlay(layout, data, signature, digest, record)
    merged = _merge_background(content, layout)
    # a background merged by pypdf's writer has other pages: the update reads them
    skeleton = written_skeleton(content, pages) if merged is content else None
    filename = layout.filename.format(visit=record.visit_id or "draft")
    return Rendered(filename, PDF, merged, skeleton)
