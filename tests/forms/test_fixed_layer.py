"""The fixed part of a layout, drawn once and placed on every sheet (forms.fixed_layer)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from forms import fixed_layer, load_layout, render_form
from forms.pdf import SHEET_XOBJECT
from tests.helpers.forms_samples import signature, visit
from tests.helpers.pdf import pdf_text, run_tool

pytestmark = pytest.mark.usefixtures("poppler")


def _builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the layers drawn from scratch (the cache is emptied first)."""
    built: list[str] = []
    build = fixed_layer._build

    def counting(font: str, draw: Any, key: str) -> fixed_layer.FixedLayer:
        built.append(key)
        return build(font, draw, key)

    monkeypatch.setattr(fixed_layer, "_cache", type(fixed_layer._cache)())
    monkeypatch.setattr(fixed_layer, "_build", counting)
    return built


def test_a_layout_is_drawn_once_for_every_visit_and_every_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = _builds(monkeypatch)
    first = render_form("moving-notice", visit(9))  # two sheets
    render_form("moving-notice", visit(2), signature=signature())
    assert len(built) == 1
    pages = PdfReader(io.BytesIO(first.content)).pages
    assert len(pages) == 2
    parts = []
    for number, page in enumerate(pages, start=1):  # each sheet one XObject on its page
        (sheet,) = page["/Resources"]["/XObject"].values()  # type: ignore[index]
        assert sheet.get_object()["/Subtype"] == "/Form"
        placed = sheet.get_object()["/Resources"]["/XObject"]
        parts.append(placed.raw_get(f"/FormXob.{fixed_layer.part_name(0)}"))
        assert f"/FormXob.{SHEET_XOBJECT}{number}" in page["/Resources"]["/XObject"]  # type: ignore[index]
    assert parts[0] == parts[1]  # both sheets place the same drawn part


def test_a_changed_layout_gets_a_layer_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _builds(monkeypatch)
    render_form("moving-notice", visit(2))
    edited = load_layout("moving-notice").model_copy(deep=True)
    edited.texts[0].text = "住民異動届（改訂）"  # the same version number: the content counts
    path = tmp_path / "edited.pdf"
    path.write_bytes(render_form("moving-notice", visit(2), layout=edited).content)
    assert len(built) == 2
    assert "住民異動届（改訂）" in pdf_text(path)


def test_the_layers_font_subsets_are_named_apart_from_the_documents(tmp_path: Path) -> None:
    """Two subsets of one font called AAAAAA+IPAexGothic could be confused by a reader."""
    path = tmp_path / "form.pdf"
    path.write_bytes(render_form("moving-notice", visit(4)).content)
    rows = [line.split() for line in run_tool("pdffonts", str(path)).splitlines()[2:]]
    names = [row[0] for row in rows]
    assert len(names) == len(set(names)) >= 3, names
    assert all(row[-5] == "yes" for row in rows)  # every one embedded
