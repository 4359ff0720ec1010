"""Fonts for PDFs and receipts: IPAex (TrueType) with a per-character fallback to IPAmj明朝.

Loaded once per process (module-level cache): parsing a CJK TrueType file costs tens of
milliseconds, which would otherwise dominate every render.

Two reportlab quirks are handled here:

* A canvas starts with Helvetica, a non-embedded base-14 font, and lists it in the page
  resources as soon as any text is drawn. ``new_canvas`` starts the canvas on our embedded
  TrueType font instead, so ``pdffonts`` lists only embedded fonts.
* reportlab writes each ToUnicode entry as ``<%04X>``; for a character outside the BMP (𠮷
  U+20BB7) that is five hex digits, which readers parse as a different character. The
  ToUnicode destination must be UTF-16BE (a surrogate pair). ``_patch_to_unicode_cmap``
  replaces reportlab's CMap writer with one that encodes every destination as UTF-16BE, so
  ``pdftotext`` returns the exact code point.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from forms.errors import FontMissingError

# Candidate files, first existing wins. MADOGUCHI_FONT_DIR lets an installation point elsewhere.
_FONT_FILES: dict[str, tuple[str, ...]] = {
    "gothic": (
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    ),
    "mincho": (
        "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
        "/usr/share/fonts/truetype/ipaexfont-mincho/ipaexm.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
    ),
    "fallback": (
        "/usr/share/fonts/truetype/ipamj/ipamjm.ttf",
        "/usr/share/fonts/opentype/ipamj/ipamjm.ttf",
    ),
}
_FILE_NAMES = {"gothic": "ipaexg.ttf", "mincho": "ipaexm.ttf", "fallback": "ipamjm.ttf"}
PDF_FONT_NAMES = {"gothic": "IPAexGothic", "mincho": "IPAexMincho", "fallback": "IPAmjMincho"}
FALLBACK = "fallback"


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap with UTF-16BE destinations (surrogate pairs beyond the BMP)."""
    entries = [
        f"<{code:02X}> <{chr(cp).encode('utf-16-be').hex().upper()}>"
        for code, cp in enumerate(subset)
    ]
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *entries,
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


def _patch_to_unicode_cmap() -> None:
    # The writer is looked up as a module global at save time, so replacing it is enough.
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap


_patch_to_unicode_cmap()


def font_path(role: str) -> Path:
    """The font file for ``role`` (gothic, mincho, fallback); FontMissingError if none."""
    override = os.environ.get("MADOGUCHI_FONT_DIR")
    candidates = list(_FONT_FILES[role])
    if override:
        candidates.insert(0, str(Path(override) / _FILE_NAMES[role]))
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissingError(role, candidates)


@cache
def registered_font(role: str) -> str:
    """Register the TrueType font for ``role`` once; return its reportlab name."""
    name = PDF_FONT_NAMES[role]
    pdfmetrics.registerFont(TTFont(name, str(font_path(role))))
    return name


@cache
def _coverage(role: str) -> frozenset[int]:
    font = pdfmetrics.getFont(registered_font(role))
    return frozenset(font.face.charToGlyph)


def has_glyph(role: str, char: str) -> bool:
    return ord(char) in _coverage(role)


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn with one font."""

    text: str
    role: str


@lru_cache(maxsize=8192)
def font_runs(text: str, role: str) -> tuple[Run, ...]:
    return tuple(_font_runs(text, role))


def _font_runs(text: str, role: str) -> Iterator[Run]:
    """Split ``text`` into runs: the main font where it has the glyph, the fallback elsewhere.

    A character neither font holds is kept in the main font's run (never replaced by another
    character); ``missing_glyphs`` reports such characters so callers can refuse them.
    """
    current_role = role
    start = 0
    for index, char in enumerate(text):
        wanted = role if has_glyph(role, char) or not has_glyph(FALLBACK, char) else FALLBACK
        if wanted != current_role and index > start:
            yield Run(text[start:index], current_role)
            start = index
        current_role = wanted
    if start < len(text):
        yield Run(text[start:], current_role)


def missing_glyphs(text: str, role: str) -> list[str]:
    """Characters that neither the main font nor the fallback can draw (would be tofu)."""
    return [
        c for c in text if not c.isspace() and not has_glyph(role, c) and not has_glyph(FALLBACK, c)
    ]


@lru_cache(maxsize=8192)
def string_width(text: str, role: str, size: float) -> float:
    """Width in points; cached because labels and layout texts repeat on every render."""
    return sum(
        pdfmetrics.stringWidth(run.text, registered_font(run.role), size)
        for run in font_runs(text, role)
    )
