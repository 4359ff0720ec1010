"""Variation sequences IPAmj明朝 does not list, drawn as outlines from Noto Serif CJK JP.

IPAmj明朝 registers only the Moji_Joho collection of the Ideographic Variation Database. Names
typed with the Adobe-Japan1 collection (葛 U+845B + U+E0100, the form most Japanese input methods
produce) are listed in the cmap format 14 table of Noto Serif CJK JP (Source Han Serif,
Debian's fonts-noto-cjk). Its outlines are CFF, which reportlab cannot embed, so each sequence's
glyph is drawn as a filled path read with fontTools; the caller writes the sequence itself as
invisible text at the same place, so copying and searching still give base + selector.

The font is optional: without it these sequences are refused as before, never drawn as their
base character. It is opened only when such a sequence is first met (one to two seconds, once
per process).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from fontTools.pens.basePen import BasePen
from fontTools.pens.recordingPen import RecordingPen
from fontTools.pens.transformPen import TransformPen
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas

FILE_NAME = "NotoSerifCJK-Regular.ttc"
# Serif first, to match the forms' 明朝; the Sans collection registers the same sequences.
_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
_JAPANESE_FACE = "JP"  # the collection's faces: JP, KR, SC, TC, HK


def font_file() -> tuple[Path, int] | None:
    """The font file and the index of its Japanese face, or None when it is not installed."""
    override = os.environ.get("MADOGUCHI_FONT_DIR")
    candidates = [str(Path(override) / FILE_NAME)] if override else []
    for candidate in [*candidates, *_CANDIDATES]:
        if Path(candidate).is_file():
            return Path(candidate), _face_index(candidate)
    return None


@cache
def _face_index(path: str) -> int:
    from fontTools.ttLib import TTCollection

    faces = TTCollection(path, lazy=True).fonts
    for index, face in enumerate(faces):
        if face["name"].getDebugName(1).endswith(f" {_JAPANESE_FACE}"):
            return index
    return 0


@dataclass(frozen=True)
class _Font:
    glyphs: dict[str, str]  # sequence → glyph name
    glyph_set: Any  # fontTools glyph set: outlines and advances
    units_per_em: int


@cache
def _font() -> _Font | None:
    found = font_file()
    if found is None:
        return None
    from fontTools.ttLib import TTFont

    path, index = found
    font = TTFont(str(path), fontNumber=index, lazy=True)
    return _Font(variation_sequences(font), font.getGlyphSet(), font["head"].unitsPerEm)


def variation_sequences(font: Any) -> dict[str, str]:
    """Every variation sequence a fontTools font's cmap format 14 lists → its glyph name.

    An entry without a glyph name is the "default" variant: the base character's own glyph.
    """
    cmap = font["cmap"]
    plain = cmap.getBestCmap()
    glyphs: dict[str, str] = {}
    for table in cmap.tables:
        if table.format != 14:
            continue
        for selector, entries in table.uvsDict.items():
            for base, name in entries:
                glyph = name or plain.get(base)
                if glyph:
                    glyphs[chr(base) + chr(selector)] = glyph
    return glyphs


def has_outline(sequence: str) -> bool:
    font = _font()
    return font is not None and sequence in font.glyphs


def advance(sequence: str) -> float:
    """The glyph's advance in 1/1000 em (reportlab's unit for widths)."""
    font = _font()
    assert font is not None and sequence in font.glyphs
    return font.glyph_set[font.glyphs[sequence]].width * 1000 / font.units_per_em


@lru_cache(maxsize=256)
def _outline(sequence: str) -> RecordingPen:
    font = _font()
    assert font is not None
    recording = RecordingPen()
    font.glyph_set[font.glyphs[sequence]].draw(recording)
    return recording


class _PathPen(BasePen):
    """Pen drawing into a reportlab canvas path (CFF outlines are cubic: no conversion)."""

    def __init__(self, path: Any) -> None:
        super().__init__(glyphSet=None)
        self.path = path

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.path.moveTo(*pt)

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.path.lineTo(*pt)

    def _curveToOne(
        self, pt1: tuple[float, float], pt2: tuple[float, float], pt3: tuple[float, float]
    ) -> None:
        self.path.curveTo(*pt1, *pt2, *pt3)

    def _closePath(self) -> None:
        self.path.close()


def draw(canvas: Canvas, sequence: str, x: float, baseline: float, size: float) -> None:
    """Fill the glyph of ``sequence`` at ``size`` points, its origin at (x, baseline)."""
    font = _font()
    assert font is not None
    scale = size / font.units_per_em
    path = canvas.beginPath()
    _outline(sequence).replay(TransformPen(_PathPen(path), (scale, 0, 0, scale, x, baseline)))
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
