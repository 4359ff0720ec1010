"""The resident's copy of the checklist: their language, the Japanese beside it, no missing glyph.

Read back the way a reviewer would: pdftotext for the words, pdffonts for embedding, and the
embedded fonts' own character maps (fontTools) for every character the document draws.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from backend.guidance.catalog import CompiledCatalog, load_default_catalog
from backend.guidance.engine import evaluate
from backend.guidance.localize import localize
from backend.guidance.translations import translate
from contracts import GuidanceResult, VisitRecord
from forms import resident_checklist
from forms.resident_checklist import LOCAL_CHAIN, count, missing, plural, render, texts
from tests.backend.guidance.guidance_builders import person, visit
from tests.helpers.pdf import run_tool

INSURED = {"insurance": "national_health", "nationality": "VN"}


@pytest.fixture(scope="module")
def catalog() -> CompiledCatalog:
    return load_default_catalog()


def household() -> VisitRecord:
    """A Vietnamese family of three moving in from abroad, with a dog (synthetic)."""
    return visit(
        "moving-in",
        [
            person(
                "世帯主", "1980-02-17", insurance="national_health", nationality="VN", card=True
            ),
            person("妻", "1983-06-02", **INSURED),
            person("子", "2018-05-01", **INSURED),
        ],
        previous=None,
        facts={"from_abroad": True, "has_dog": True},
    )


def rendered(lang: str, catalog: CompiledCatalog, tmp_path: Path) -> tuple[Path, GuidanceResult]:
    record = household()
    guidance = localize(evaluate(record, catalog), lang, catalog)
    event = translate(lang, "event", record.event, record.event)
    out = render(record, guidance, lang, event=event)
    assert out.filename.endswith(f"-{lang}.pdf") and out.content_type == "application/pdf"
    path = tmp_path / out.filename
    path.write_bytes(out.content)
    return path, guidance


def pdf_text(path: Path) -> str:
    """The text in drawing order (-raw: a wrapped cell's lines stay together), no spaces."""
    return re.sub(r"\s+", "", run_tool("pdftotext", "-raw", str(path), "-"))


@pytest.mark.parametrize(
    ("lang", "name", "counter", "item"),
    [
        ("vi", "Thông báo chuyển đến", "Phòng Thị dân", "Hộ chiếu"),
        ("ko", "전입신고", "시민과 주민 이동", "재류카드"),
        ("zh", "迁入申报", "市民课 住址变更", "在留卡"),
        ("pt", "Notificação de mudança para a cidade", "Divisão de Cidadãos", "Passaportes"),
    ],
)
def test_the_copy_is_in_the_language_with_the_japanese_beside_it(
    lang: str, name: str, counter: str, item: str, catalog: CompiledCatalog, tmp_path: Path
) -> None:
    path, guidance = rendered(lang, catalog, tmp_path)
    text = pdf_text(path)
    for wanted in (
        name,
        counter,
        item,
        "転入届",
        "市民課 住民異動",
        "在留カードまたは特別永住者証明書",
    ):
        assert re.sub(r"\s+", "", wanted) in text, (lang, wanted)
    for procedure in guidance.procedures:  # every procedure: its name in both languages
        assert procedure.local is not None
        assert re.sub(r"\s+", "", procedure.name) in text, procedure.name
    fonts = run_tool("pdffonts", str(path)).splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts  # all embedded


def glyphless(path: Path, drawn: list[str]) -> list[str]:
    """Characters of ``drawn`` the PDF does not show: left out of the text layer (reportlab
    drops a character its font lacks), or written without a glyph: for every embedded font
    (fontTools), each code of its ToUnicode map must reach a glyph with an outline in the
    embedded subset, not .notdef (tofu) and not an empty glyph."""
    shown = set(run_tool("pdftotext", "-raw", str(path), "-"))
    problems = sorted({c for t in drawn for c in t if not c.isspace() and c not in shown})
    for page in PdfReader(str(path)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            to_unicode = font["/ToUnicode"].get_object().get_data().decode()
            entries = to_unicode.split("beginbfchar", 1)[1]
            data = font["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            face = TTFont(io.BytesIO(data))
            cmap = face["cmap"].tables[0].cmap
            glyf = face["glyf"]
            for code, target in re.findall(r"<([0-9A-F]+)> <([0-9A-F]+)>", entries):
                char = bytes.fromhex(target).decode("utf-16-be")
                if char.isspace() or unicodedata.category(char) == "Cc":
                    continue  # reportlab's subsets give control codes an empty placeholder
                glyph = cmap.get(int(code, 16), ".notdef")
                if glyph == ".notdef" or glyf[glyph].numberOfContours == 0:
                    problems.append(char)
    return problems


@pytest.mark.parametrize("lang", ["vi", "ko"])
def test_every_character_drawn_has_a_glyph(
    lang: str, catalog: CompiledCatalog, tmp_path: Path
) -> None:
    path, guidance = rendered(lang, catalog, tmp_path)
    drawn = texts(household(), guidance, lang, translate(lang, "event", "moving-in", ""))
    assert not [c for t in drawn for c in missing(t, LOCAL_CHAIN)]
    assert not glyphless(path, drawn)
    text = run_tool("pdftotext", str(path), "-")
    for special in ("ệ", "ấ", "ữ", "Đ") if lang == "vi" else ("전", "입", "창"):
        assert special in text


def test_the_glyph_checks_can_fail(catalog: CompiledCatalog, tmp_path: Path) -> None:
    assert missing("Quầy số 1 \ue000", LOCAL_CHAIN) == ["\ue000"]  # private use: no font has it
    record = household()
    guidance = localize(evaluate(record, catalog), "vi", catalog)
    first = guidance.procedures[0]
    assert first.local is not None
    broken = first.model_copy(
        update={"local": first.local.model_copy(update={"items": ["Hộ chiếu \ue000"]})}
    )
    guidance = guidance.model_copy(update={"procedures": [broken, *guidance.procedures[1:]]})
    path = tmp_path / "broken.pdf"
    path.write_bytes(render(record, guidance, "vi", event="Chuyển đến").content)
    drawn = texts(record, guidance, "vi", "Chuyển đến")
    assert glyphless(path, drawn) == ["\ue000"]  # no glyph: dropped, and the check sees it


def test_counts_take_their_plural_form() -> None:
    assert count("en", "procedures", 1) == "1 procedure"
    assert count("en", "procedures", 3) == "3 procedures"
    assert count("pt", "counters", 1) == "1 guichê"
    assert count("pt", "counters", 2) == "2 guichês"
    assert count("vi", "procedures", 1) == "1 thủ tục"
    assert count("ko", "procedures", 12) == "절차 12건"
    assert plural("pt", 0) == "one" and plural("en", 0) == "other"


def test_every_language_has_every_label_and_no_japanese_in_it() -> None:
    keys = set(resident_checklist.LABELS["ja"])
    for lang, labels in resident_checklist.LABELS.items():
        assert set(labels) == keys, lang
        if lang != "ja":
            flat = str(labels)
            assert not re.findall(r"[\u3040-\u30ff]", flat), lang
