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
from typing import TYPE_CHECKING, Literal

import yaml

if TYPE_CHECKING:
    from backend.guidance.catalog import Catalog

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


# Tags the screens use for the same languages (BCP 47, as in backend.schemas_api.lists).
_TAGS = {"zh-hans": "zh", "zh-cn": "zh", "pt-br": "pt"}
LANGUAGE_PATTERN = r"^(ja|en|zh|zh-Hans|zh-CN|ko|vi|pt|pt-BR)$"


def resident_language(tag: str | None) -> str | None:
    """The catalog's name for a screen's language tag (zh-Hans → zh, pt-BR → pt); None when
    none or not one of the resident's languages."""
    if not tag:
        return None
    lang = _TAGS.get(tag.lower(), tag.lower())
    return lang if lang in RESIDENT_LANGUAGES else None


def catalog_texts(spec: Catalog) -> dict[tuple[TextKind, str], str]:
    """Every text of a catalog a resident reads, keyed as the translations are: (kind, key)
    → the catalog's own text (Japanese; a question's English is its ``text.en``)."""
    from contracts import EVENTS

    texts: dict[tuple[TextKind, str], str] = {("event", event): event for event in EVENTS}
    texts |= {("department", d.id): d.name for d in spec.departments}
    texts |= {("counter", c.id): c.name for c in spec.counters}
    for question in spec.questions:
        texts[("question", question.id)] = question.text.ja
        texts |= {("choice", f"{question.id}.{c}"): c for c in question.choices}
    for procedure in spec.procedures:
        texts[("procedure", procedure.id)] = procedure.name
        for item in procedure.items:
            text = item if isinstance(item, str) else item.text
            texts[("item", text)] = text
        texts |= {("reason", rule.reason): rule.reason for rule in procedure.rules}
        texts |= {("note", note): note for note in procedure.notes}
    return texts


def untranslated(spec: Catalog, lang: str) -> list[tuple[TextKind, str]]:
    """The catalog's texts with no translation in ``lang`` (they fall back to English, then
    Japanese): what a municipality adding a procedure still has to translate."""
    table = _table(lang)
    return [(kind, key) for kind, key in catalog_texts(spec) if not table.get(kind, {}).get(key)]
