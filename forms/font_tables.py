"""Keep a TrueType font's tables once read, instead of copying them for every document.

reportlab embeds a subset of each font in every PDF, and to build it copies the font's whole
``glyf`` table out of the file's bytes (``TTFontFile.get_table``): 5.6 MB for IPAexGothic,
about 40 MB for IPAmj明朝, on every render — a quarter of a form's drawing time. The font file
never changes while it is loaded, so the copy is kept per font (the memory of one more copy of
the tables actually used) and handed out again.
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_MARK = "_madoguchi_tables_kept"


def keep_tables_of_loaded_fonts() -> None:
    """Make every registered TrueType font keep the tables it reads (idempotent, cheap)."""
    for font in list(pdfmetrics._fonts.values()):
        if isinstance(font, TTFont) and not getattr(font.face, _MARK, False):
            face = font.face
            face.get_table = _kept(face.get_table)
            setattr(face, _MARK, True)


def _kept(read: Callable[[str], bytes]) -> Callable[[str], bytes]:
    tables: dict[str, bytes] = {}

    def get_table(tag: str) -> bytes:
        table = tables.get(tag)
        if table is None:
            table = tables[tag] = read(tag)
        return table

    return get_table
