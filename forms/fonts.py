"""Fonts for PDFs and receipts: IPAex (TrueType) with a per-character fallback to IPAmj明朝.

Loaded once per process (module-level cache): parsing a CJK TrueType file costs tens of
milliseconds, which would otherwise dominate every render.

Two reportlab quirks are handled here:

* A canvas starts with Helvetica, a non-embedded base-14 font, and lists it in the page
  resources as soon as any text is drawn. ``new_canvas`` starts the canvas on our embedded
  TrueType font instead, so ``pdffonts`` lists only embedded fonts.
* reportlab's TrueType support ignores cmap format 14, so an ideographic variation sequence
  (葛 U+845B + U+E0102) would print the base glyph and tofu. The sequences IPAmj明朝 lists in
  its format 14 table are read with fontTools; each gets a code point of its own in the
  Supplementary Private Use Area-B inside reportlab's face for that font (the same trick
  reportlab uses for glyphs from HarfBuzz shaping), and the ToUnicode entry of that code point
  is the original sequence, so the text layer keeps base + selector. A sequence IPAmj明朝 does
  not list (its table has the Moji_Joho collection only) is drawn as an outline from Noto Serif
  CJK JP, which lists the Adobe-Japan1 collection (``forms.outline_glyphs``), over the same
  kind of code point written invisibly; a sequence neither lists is refused (``unprintable``),
  never drawn as its base character.
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

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from forms import outline_glyphs
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
    # The resident's languages other than Japanese (the resident's copy of the checklist):
    # WenQuanYi Micro Hei has TrueType outlines (reportlab cannot embed the CFF outlines of
    # Noto Sans CJK) and holds Simplified Chinese, Hangul and Vietnamese (Latin Extended
    # Additional) in one file; Debian package fonts-wqy-microhei (scripts/bootstrap.sh).
    "world": (
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    ),
}
_FILE_NAMES = {
    "gothic": "ipaexg.ttf",
    "mincho": "ipaexm.ttf",
    "fallback": "ipamjm.ttf",
    "world": "wqy-microhei.ttc",
}
PDF_FONT_NAMES = {
    "gothic": "IPAexGothic",
    "mincho": "IPAexMincho",
    "fallback": "IPAmjMincho",
    "world": "WenQuanYiMicroHei",
}
WORLD = "world"
FALLBACK = "fallback"
# Variation sequences IPAmj明朝 lacks, drawn as outlines (forms.outline_glyphs) over invisible
# text in the fallback font: a role for runs, not a font reportlab knows.
OUTLINE = "outline"

# Variation sequences drawn through the fallback font: code point in its face → sequence.
_VARIANT_BASE = 0x100000
_VARIANT_CODE: dict[str, int] = {}  # drawn with IPAmj明朝's own variant glyph
_TEXT_LAYER_CODE: dict[str, int] = {}  # written invisibly under an outline (OUTLINE runs)
_VARIANT_TEXT: dict[int, str] = {}


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap with UTF-16BE destinations (surrogate pairs beyond the BMP);
    a code point standing for a variation sequence maps back to the whole sequence."""
    entries = [f"<{code:02X}> <{_destination(cp)}>" for code, cp in enumerate(subset)]
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


def _destination(code_point: int) -> str:
    """What ``code_point`` reads as, in UTF-16BE hex."""
    if code_point >= _VARIANT_BASE:  # a variation sequence's code point: its sequence
        return _VARIANT_TEXT.get(code_point, chr(code_point)).encode("utf-16-be").hex().upper()
    return _character_destination(code_point)


@lru_cache(maxsize=16384)
def _character_destination(code_point: int) -> str:
    """The same characters recur in every document's subsets (kana, digits, common kanji)."""
    return chr(code_point).encode("utf-16-be").hex().upper()


def _patch_to_unicode_cmap() -> None:
    # The writer is looked up as a module global at save time, so replacing it is enough.
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap


_patch_to_unicode_cmap()


class _Widths(pdfdoc.PDFArray):
    """A subset's /Widths written exactly as reportlab's PDFArray writes numbers (ten to a
    line), formatted by one ``fp_str`` call a line instead of three calls a number."""

    def format(self, document: object, IND: bytes = b"\n ") -> bytes:
        numbers = self.sequence
        lines = [fp_str(*numbers[at : at + 10]) for at in range(0, len(numbers), 10)]
        return ("[ " + " \n  ".join(lines) + " ]").encode()


_add_objects = TTFont.addObjects


def _add_objects_with_widths(self: TTFont, doc: pdfdoc.PDFDocument) -> None:
    """reportlab's ``TTFont.addObjects``, the subsets' widths then written by ``_Widths``."""
    _add_objects(self, doc)
    for font in doc.idToObject["BasicFonts"].dict.values():
        widths = getattr(font, "Widths", None)
        if isinstance(widths, pdfdoc.PDFArray) and type(widths) is pdfdoc.PDFArray:
            numbers = widths.sequence
            if all(type(number) in (int, float) for number in numbers):
                font.Widths = _Widths(numbers)


TTFont.addObjects = _add_objects_with_widths


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
    path = font_path(role)
    # a collection (.ttc): its first face (the proportional one, not the monospaced).
    # asciiReadable off: reportlab would otherwise put all 95 ASCII glyphs into every
    # document's first subset of every font, used or not (the fallback font's subset of one
    # rare kanji was 128 glyphs, 20 KB); each subset now holds the glyphs drawn (and the
    # space), so building, compressing and writing it costs a quarter less. Same glyphs,
    # widths and ToUnicode text; only the codes in the content streams are no longer ASCII.
    pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0, asciiReadable=False))
    return name


@cache
def _coverage(role: str) -> frozenset[int]:
    font = pdfmetrics.getFont(registered_font(role))
    return frozenset(font.face.charToGlyph)


def has_glyph(role: str, char: str) -> bool:
    return ord(char) in _coverage(role)


def is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def is_private_use(char: str) -> bool:
    code = ord(char)
    return 0xE000 <= code <= 0xF8FF or code >= 0xF0000


def clusters(text: str) -> Iterator[str]:
    """Characters, with a variation selector kept on the character it modifies."""
    index = 0
    while index < len(text):
        end = index + 1
        while end < len(text) and is_variation_selector(text[end]):
            end += 1
        yield text[index:end]
        index = end


@cache
def _variant_glyphs() -> dict[str, int]:
    """Every variation sequence IPAmj明朝's cmap format 14 lists → its glyph id."""
    from fontTools.ttLib import TTFont as FontFile  # only when a sequence is met

    font = FontFile(str(font_path(FALLBACK)), lazy=True)
    names = outline_glyphs.variation_sequences(font)
    return {sequence: font.getGlyphID(name) for sequence, name in names.items()}


def variant_code(sequence: str) -> int | None:
    """The code point standing for ``sequence`` in the fallback face, or None if not in IPAmj."""
    code = _VARIANT_CODE.get(sequence)
    if code is not None:
        return code
    glyph = _variant_glyphs().get(sequence)
    if glyph is None:
        return None
    face = pdfmetrics.getFont(registered_font(FALLBACK)).face
    code = _VARIANT_CODE[sequence] = _face_code(sequence, glyph, face.hmetrics[glyph][0])
    return code  # (hmetrics are already in 1/1000 em)


def text_layer_code(sequence: str) -> int:
    """The code point writing ``sequence`` (drawn as an outline) as invisible text: the base
    character's glyph in the fallback face, as wide as the outline, read back as the sequence."""
    code = _TEXT_LAYER_CODE.get(sequence)
    if code is None:
        face = pdfmetrics.getFont(registered_font(FALLBACK)).face
        glyph = face.charToGlyph.get(ord(sequence[0]), face.charToGlyph[0x3000])
        code = _TEXT_LAYER_CODE[sequence] = _face_code(
            sequence, glyph, outline_glyphs.advance(sequence)
        )
    return code


def _face_code(sequence: str, glyph: int, width: float) -> int:
    """A new code point in the fallback face: ``glyph``, ``width`` wide, read as ``sequence``."""
    face = pdfmetrics.getFont(registered_font(FALLBACK)).face
    code = _VARIANT_BASE + len(_VARIANT_TEXT)
    face.charToGlyph[code] = glyph
    face.glyphToChar.setdefault(glyph, []).append(code)
    face.charWidths[code] = width
    _VARIANT_TEXT[code] = sequence
    return code


def _printable(cluster: str, role: str) -> str | None:
    """The role that draws ``cluster``, or None when nothing can (never a wrong glyph)."""
    if len(cluster) == 1:
        return _printable_character(cluster, role)
    if any(is_private_use(c) for c in cluster):
        return None
    # a variation sequence: IPAmj明朝 (Moji_Joho), else Noto Serif CJK (Adobe-Japan1), else none
    if variant_code(cluster) is not None:
        return FALLBACK
    return OUTLINE if outline_glyphs.has_outline(cluster) else None


@lru_cache(maxsize=16384)
def _printable_character(char: str, role: str) -> str | None:
    """``_printable`` for one character, cached: every document checks each character of its
    values (``missing_glyphs``), and the same kana, digits and kanji recur in every visit."""
    if is_private_use(char):
        return None
    if has_glyph(role, char):
        return role
    return FALLBACK if has_glyph(FALLBACK, char) else None


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn with one font."""

    text: str
    role: str

    def pdf_font(self) -> str:
        """The reportlab font the run's text is written in (invisibly, for outlines)."""
        return registered_font(FALLBACK if self.role == OUTLINE else self.role)

    def pdf_text(self) -> str:
        """The text as drawn with reportlab: each variation sequence as its own code point."""
        if self.role == OUTLINE:  # only sequences, each written as its text-layer code point
            return "".join(chr(text_layer_code(c)) for c in clusters(self.text))
        if self.role != FALLBACK or not any(is_variation_selector(c) for c in self.text):
            return self.text
        return "".join(chr(variant_code(c) or 0) if len(c) > 1 else c for c in clusters(self.text))


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
    index = 0
    for cluster in clusters(text):
        wanted = _printable(cluster, role) or role
        if wanted != current_role and index > start:
            yield Run(text[start:index], current_role)
            start = index
        current_role = wanted
        index += len(cluster)
    if start < len(text):
        yield Run(text[start:], current_role)


def missing_glyphs(text: str, role: str) -> list[str]:
    """Characters (or variation sequences) nothing can draw: private use, no glyph anywhere."""
    return [c for c in clusters(text) if not c.isspace() and _printable(c, role) is None]


@lru_cache(maxsize=8192)
def string_width(text: str, role: str, size: float) -> float:
    """Width in points; cached because labels and layout texts repeat on every render."""
    return sum(
        pdfmetrics.stringWidth(run.pdf_text(), run.pdf_font(), size)
        for run in font_runs(text, role)
    )
