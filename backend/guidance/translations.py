"""Catalog texts in the resident's language.

The catalog is written in Japanese (with English for questions and procedure names). Texts for
the other languages a resident may choose live beside it, one file per language in
``catalogs/translations/<lang>.yaml``, keyed by kind and by the catalog's id (or, for texts
without an id such as items, reasons and notes, by the Japanese text itself). A text with no
translation falls back to English, then Japanese: a resident always sees something, and the
screens show the Japanese beside a translation so the clerk can point at it.

    translate("vi", "procedure", "tennyu", default="転入届")
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml

RESIDENT_LANGUAGES = ("ja", "en", "zh", "ko", "vi", "pt")

TextKind = Literal[
    "event", "procedure", "question", "choice", "item", "counter", "department", "reason", "note"
]

_DIRECTORY = Path(__file__).parent / "catalogs" / "translations"


@functools.cache
def _table(lang: str) -> dict[str, dict[str, str]]:
    path = _DIRECTORY / f"{lang}.yaml"
    if lang not in RESIDENT_LANGUAGES or not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(kind): {str(k): str(v) for k, v in (texts or {}).items()}
        for kind, texts in loaded.items()
    }


def translate(lang: str, kind: TextKind, key: str, default: str) -> str:
    """The text of ``kind``/``key`` in ``lang``; ``default`` (the catalog's own) when none."""
    if lang == "ja":
        return default
    found = _table(lang).get(kind, {}).get(key)
    if found:
        return found
    if lang != "en":
        return _table("en").get(kind, {}).get(key) or default
    return default
