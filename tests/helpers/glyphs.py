"""Which characters the screens' served fonts can draw (kiosk/static/vendor/fonts).

A character is drawable when a woff2 file of fonts.css both lists it in its ``unicode-range``
(else the browser never downloads that file for it) and has it in its ``cmap``. Anything else
falls back to whatever the device has installed, or to a missing-glyph box: the tablet and the
ticket machine are separate devices, so nothing installed on the server counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONTS = Path(__file__).resolve().parents[2] / "kiosk" / "static" / "vendor" / "fonts"
_FACE = re.compile(r"@font-face\s*{(?P<body>[^}]*)}")
_URL = re.compile(r"url\(\./(?P<path>[^)]+\.woff2)\)")
_RANGE = re.compile(r"unicode-range:\s*(?P<ranges>[^;]+);")


def _ranges(text: str) -> Iterable[range]:
    for part in text.split(","):
        part = part.strip().removeprefix("U+").removeprefix("u+")
        low, _, high = part.partition("-")
        yield range(int(low, 16), int(high or low, 16) + 1)


@cache
def served_coverage() -> frozenset[int]:
    """Every code point that some served font file is downloaded for and has a glyph for."""
    covered: set[int] = set()
    for face in _FACE.finditer((FONTS / "fonts.css").read_text(encoding="utf-8")):
        body = face.group("body")
        url, ranges = _URL.search(body), _RANGE.search(body)
        if url is None:
            continue
        font = TTFont(FONTS / url.group("path"), lazy=True)
        cmap = set(font.getBestCmap())
        font.close()
        if ranges is None:
            covered |= cmap
            continue
        for span in _ranges(ranges.group("ranges")):
            covered |= cmap.intersection(span)
    return frozenset(covered)


def _drawn(char: str) -> bool:
    """Controls, format characters and line breaks draw no glyph."""
    return unicodedata.category(char) not in {"Cc", "Cf", "Zl", "Zp"}


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` that no served font draws, as ``U+XXXX 'c'``."""
    coverage = served_coverage()
    missing = {c for c in text if _drawn(c) and ord(c) not in coverage}
    return [f"U+{ord(c):04X} {c!r}" for c in sorted(missing)]
