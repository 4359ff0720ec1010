"""Which characters a destination can hold, and what stands in for the others.

One mechanism for every output: the CSV for RPA (``csv_rpa.py``, CP932) and the back office's
check before input into the core system (JIS X 0208, JIS X 0213 or the full MJ set) both go
through ``convert``. The original text is never changed: ``convert`` returns the text as the
destination will hold it plus one ``Outside`` per character it could not hold, with the
proposed substitute, so a person decides before the data is typed into the core system.

Character sets, by Python's codecs:
- ``jisx0208``: ``iso2022_jp`` (JIS X 0208 and ASCII; not the NEC/IBM extensions of CP932,
  so 髙 and 﨑 are outside);
- ``jisx0213``: ``euc_jis_2004`` (JIS X 0213:2004);
- ``cp932``: Windows Japanese (what most RPA tools and Excel read);
- ``mj``: the 文字情報基盤 MJ set is mapped to Unicode with IVS, so every assigned character
  and variation sequence is held; private-use characters (a vendor's 外字) are not.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

CharacterSet = Literal["jisx0208", "jisx0213", "cp932", "mj"]
CHARACTER_SETS: Final[tuple[str, ...]] = ("jisx0208", "jisx0213", "cp932", "mj")
CHARSET_LABELS: Final[dict[str, str]] = {
    "jisx0208": "JIS X 0208",
    "jisx0213": "JIS X 0213",
    "cp932": "CP932 (Shift_JIS)",
    "mj": "MJ文字",
}
# Stricter first: the back office checks against the strictest set among the destinations.
STRICTNESS: Final[dict[str, int]] = {"jisx0208": 0, "cp932": 1, "jisx0213": 2, "mj": 3}

DEFAULT_REPLACEMENT: Final = "〓"  # 下駄記号: in every set, the customary mark for a missing glyph

_CODECS: Final[dict[str, str]] = {
    "jisx0208": "iso2022_jp",
    "jisx0213": "euc_jis_2004",
    "cp932": "cp932",
}

# The same character under another mapping (JIS vs Microsoft): taken without a flag.
_TO_CP932: Final[dict[str, str]] = {
    "\u301c": "\uff5e",  # WAVE DASH → FULLWIDTH TILDE
    "\u2016": "\u2225",  # DOUBLE VERTICAL LINE → PARALLEL TO
    "\u2212": "\uff0d",  # MINUS SIGN → FULLWIDTH HYPHEN-MINUS
    "\u00a2": "\uffe0",  # CENT SIGN
    "\u00a3": "\uffe1",  # POUND SIGN
    "\u00ac": "\uffe2",  # NOT SIGN
    "\u2014": "\u2015",  # EM DASH → HORIZONTAL BAR
}
_TO_JIS: Final[dict[str, str]] = {v: k for k, v in _TO_CP932.items()}
EQUIVALENTS: Final[dict[str, dict[str, str]]] = {
    "cp932": _TO_CP932,
    "jisx0208": _TO_JIS,
    "jisx0213": {"\uff5e": "\u301c"},
    "mj": {},
}

# 異体字 → the common form a core system without 外字 registers (a proposal; a person decides).
KNOWN_SUBSTITUTES: Final[dict[str, str]] = {
    "髙": "高", "𠮷": "吉", "﨑": "崎", "德": "徳", "濵": "浜", "栁": "柳", "槗": "橋",
    "𡈽": "土", "邊": "辺", "邉": "辺", "齋": "斎", "齊": "斉",
}  # fmt: skip


@dataclass(frozen=True)
class Outside:
    """One character (or base + variation selector) the destination cannot hold."""

    position: int  # index in the original text
    original: str
    substitute: str

    @property
    def codepoints(self) -> str:
        return " ".join(f"U+{ord(c):04X}" for c in self.original)


def holds(char: str, charset: str) -> bool:
    """Whether the character set holds this one character (or variation sequence)."""
    if charset == "mj":
        return not any(_private_or_unassigned(c) for c in char)
    try:
        char.encode(_CODECS[charset])
    except UnicodeEncodeError:
        return False
    return True


def _private_or_unassigned(char: str) -> bool:
    return unicodedata.category(char) in ("Co", "Cn")


def _is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _units(text: str) -> list[tuple[int, str]]:
    """(position, unit): a base character keeps its variation selector with it."""
    units: list[tuple[int, str]] = []
    for i, char in enumerate(text):
        if _is_variation_selector(char) and units:
            position, base = units[-1]
            units[-1] = (position, base + char)
        else:
            units.append((i, char))
    return units


def propose(unit: str, charset: str, substitutions: Mapping[str, str], replacement: str) -> str:
    """What stands in for ``unit``: the table (the pair first, then the base), the base of a
    variation sequence, a compatibility form (ｱ → ア), else the replacement mark."""
    base = unit[0]
    for candidate in (substitutions.get(unit), substitutions.get(base)):
        if candidate is not None:
            return candidate
    if len(unit) > 1 and holds(base, charset):
        return base  # the selector alone cannot be kept
    folded = unicodedata.normalize("NFKC", base)
    if folded != base and all(holds(c, charset) for c in folded):
        return folded
    return replacement


def convert(
    text: str,
    charset: str,
    substitutions: Mapping[str, str] | None = None,
    replacement: str = DEFAULT_REPLACEMENT,
) -> tuple[str, list[Outside]]:
    """The text as ``charset`` will hold it, and every character that had to be replaced."""
    table = substitutions or {}
    equivalents = EQUIVALENTS[charset]
    out: list[str] = []
    outside: list[Outside] = []
    for position, unit in _units(text):
        if unit in table and len(unit) > 1:
            substitute = table[unit]  # a variation sequence the table names as a pair
        else:
            same = equivalents.get(unit, unit)
            if holds(same, charset):
                out.append(same)
                continue
            substitute = propose(unit, charset, table, replacement)
        out.append(substitute)
        outside.append(Outside(position, unit, substitute))
    return "".join(out), outside
