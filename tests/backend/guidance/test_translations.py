"""The catalog in the resident's languages: every text translated, placeholders kept, no
Japanese left over, the files safe to load (backend/guidance/catalogs/translations/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from backend.guidance import translations
from backend.guidance.catalog import PLACEHOLDER, CompiledCatalog, Procedure, Rule
from backend.guidance.translations import (
    catalog_texts,
    resident_language,
    translate,
    untranslated,
)

LANGUAGES = ("en", "zh", "ko", "vi", "pt")
DIRECTORY = Path(translations.__file__).parent / "catalogs" / "translations"
KINDS = {"event", "procedure", "question", "choice", "item", "counter", "department"}
KINDS |= {"reason", "note"}
KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")  # and 「・」 (U+30FB)
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Japanese a non-Japanese text may keep (proper nouns the resident must match on a sign):
# none so far. Chinese is written in hanzi, so only kana are looked for there.
ALLOWED_JAPANESE: dict[str, frozenset[str]] = {lang: frozenset() for lang in LANGUAGES}


def loaded(lang: str) -> dict[str, dict[str, str]]:
    data = yaml.safe_load((DIRECTORY / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def japanese_in(text: str, lang: str) -> list[str]:
    pattern = KANA if lang == "zh" else re.compile(f"{KANA.pattern}|{KANJI.pattern}")
    stripped = text
    for allowed in ALLOWED_JAPANESE[lang]:
        stripped = stripped.replace(allowed, "")
    return pattern.findall(stripped)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_of_the_catalog_has_a_translation(lang: str, catalog: CompiledCatalog) -> None:
    missing = untranslated(catalog.spec, lang)
    assert not missing, f"{lang}: {len(missing)} texts untranslated, e.g. {missing[:5]}"
    # and the count is the catalog's: 132 procedures and every item, reason and note
    kinds = [kind for kind, _ in catalog_texts(catalog.spec)]
    assert kinds.count("procedure") == len(catalog.spec.procedures) == 132


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_files_load_safely_and_hold_only_the_catalogs_texts(
    lang: str, catalog: CompiledCatalog
) -> None:
    data = loaded(lang)
    assert set(data) <= KINDS
    known = set(catalog_texts(catalog.spec))
    for kind, texts in data.items():
        for key, text in texts.items():
            assert isinstance(key, str) and isinstance(text, str) and text.strip(), (kind, key)
            assert (kind, key) in known, f"{lang}: {kind} {key!r} is not in the catalog (stale)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_kept(lang: str, catalog: CompiledCatalog) -> None:
    table = loaded(lang)
    for (kind, key), japanese in catalog_texts(catalog.spec).items():
        local = table[kind][key]
        assert sorted(PLACEHOLDER.findall(local)) == sorted(PLACEHOLDER.findall(japanese)), (
            lang,
            kind,
            key,
            local,
        )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_japanese_is_left_in_a_translation(lang: str) -> None:
    left = {
        (kind, key): found
        for kind, texts in loaded(lang).items()
        for key, text in texts.items()
        if (found := japanese_in(text, lang))
    }
    assert not left, f"{lang}: Japanese left in {len(left)} texts: {list(left.items())[:5]}"


def test_the_japanese_check_can_fail() -> None:
    assert japanese_in("Bring your 在留カード", "en") == list("在留カード")
    assert japanese_in("住民票・印鑑", "zh") == ["・"]  # hanzi pass, the katakana dot does not
    assert japanese_in("住民票", "zh") == []


def test_english_questions_are_the_catalogs_own(catalog: CompiledCatalog) -> None:
    """The catalog's ``text.en`` is the source; en.yaml repeats it so that every language file
    is complete, and must not drift from it."""
    english = loaded("en")["question"]
    for question in catalog.spec.questions:
        assert english[question.id] == question.text.en, question.id


def test_a_procedure_added_without_translations_is_reported(catalog: CompiledCatalog) -> None:
    spec = catalog.spec
    new = Procedure(
        id="new-procedure",
        name="新しい手続き",
        department=spec.departments[0].id,
        counter=spec.counters[0].id,
        rules=[Rule(reason="新しい理由のため")],
        items=["新しい持ち物"],
        notes=["新しい注意"],
    )
    grown = spec.model_copy(update={"procedures": [*spec.procedures, new]})
    for lang in LANGUAGES:
        assert set(untranslated(grown, lang)) == {
            ("procedure", "new-procedure"),
            ("reason", "新しい理由のため"),
            ("item", "新しい持ち物"),
            ("note", "新しい注意"),
        }
    # an edited Japanese item text is a new key: untranslated until translated again
    edited = spec.procedures[0].model_copy(update={"items": ["届出人の本人確認書類（改）"]})
    changed = spec.model_copy(update={"procedures": [edited, *spec.procedures[1:]]})
    assert ("item", "届出人の本人確認書類（改）") in untranslated(changed, "vi")


def test_translate_falls_back_to_english_then_the_catalogs_text() -> None:
    """ja is the catalog's own text; any other language without a text gets English."""
    assert translate("ja", "procedure", "moving-in-notice", "転入届") == "転入届"
    assert translate("vi", "procedure", "moving-in-notice", "転入届") == "Thông báo chuyển đến"
    assert translate("ko", "counter", "hoken", "保険年金課") == "보험연금과"
    assert translate("vi", "procedure", "no-such-id", "独自の手続き") == "独自の手続き"
    assert translate("fr", "procedure", "moving-in-notice", "転入届") == "Moving-in notification"


def test_screen_language_tags_map_to_the_catalogs() -> None:
    assert resident_language("zh-Hans") == "zh"
    assert resident_language("pt-BR") == "pt"
    assert resident_language("vi") == "vi"
    assert resident_language("fr") is None
    assert resident_language(None) is None
