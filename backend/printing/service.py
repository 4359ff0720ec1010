"""Turn receipt parts from forms/ into printer jobs for hardware/, and load CLI inputs."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from backend.platform import safe_parse
from contracts import GuidanceResult, Signature, VisitRecord
from forms.receipt import Line, Part, QrCode, Rule, rasterize, wrap_lines
from hardware.printer import Block, Cut, KanjiText, Qr, Raster, ReceiptJob, Text
from hardware.printer.job import kanji_rom_can_print

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _big_ascii(line: Line) -> bool:
    return line.size == "huge" and line.text.isascii()


def _use_kanji_rom(line: Line, kanji: bool) -> bool:
    # A line in the resident's own font (Chinese, Korean…) is drawn, never the ROM's Japanese.
    return (
        kanji
        and line.font is None
        and line.size in ("small", "normal")
        and kanji_rom_can_print(line.text)
    )


def build_job(parts: Sequence[Part], paper_dots: int, kanji: bool = False) -> ReceiptJob:
    """Raster images for Japanese by default; with ``kanji`` the printer's ROM where it can.

    A huge ASCII line (the ticket number) uses the printer's own font enlarged 4 times; lines
    the ROM lacks (髙, 﨑, 𠮷) always go as images.
    """
    blocks: list[Block] = []
    pending: list[Line | Rule] = []

    def flush() -> None:
        if pending:
            blocks.append(Raster(rasterize(pending, paper_dots)))
            pending.clear()

    wrapped: list[Part] = []
    for part in parts:
        is_line = isinstance(part, Line) and not _big_ascii(part)
        wrapped += wrap_lines([part], paper_dots) if is_line else [part]  # type: ignore[list-item]
    for part in wrapped:
        if isinstance(part, QrCode):
            flush()
            blocks.append(Qr(part.content, size=6 if paper_dots > 384 else 4))
        elif isinstance(part, Line) and _big_ascii(part):
            flush()
            blocks.append(Text(part.text, width=4, height=4, align=part.align, bold=True))
        elif isinstance(part, Line) and _use_kanji_rom(part, kanji):
            flush()
            blocks.append(KanjiText(part.text, align=part.align))
        else:
            pending.append(part)
    flush()
    blocks.append(Cut())
    return ReceiptJob(blocks=blocks, paper_dots=paper_dots)


def _json_text(path: Path) -> str:
    """A JSON file's text within the parse limits (``DocumentTooComplex`` otherwise)."""
    text = safe_parse.read_text(path)
    safe_parse.check_json_text(text)
    return text


def load_visit(path: Path) -> VisitRecord:
    return VisitRecord.model_validate_json(_json_text(path))


def load_guidance(path: Path | None) -> GuidanceResult | None:
    return GuidanceResult.model_validate_json(_json_text(path)) if path else None


def load_signature(path: Path | None) -> Signature | None:
    """A Signature JSON (tablet strokes) or a PNG image of the signature."""
    if path is None:
        return None
    data = b"" if path.is_dir() else path.read_bytes()
    if data.startswith(PNG_MAGIC):
        from io import BytesIO

        with Image.open(BytesIO(data)) as image:
            width, height = image.size
        return Signature(width=width, height=height, png_base64=base64.b64encode(data).decode())
    return Signature.model_validate(safe_parse.load_json(safe_parse.read_text(path)))
