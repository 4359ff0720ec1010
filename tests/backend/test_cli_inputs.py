"""Every command that reads a file refuses a bad one with exit 2 and one line on stderr, no
traceback (issue 14, items 1 and 8): parse-limit bombs, a folder, binary, non-UTF-8 text and an
integer too long to convert.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import build_app

DATA = Path(__file__).parents[1] / "data"
VISIT = DATA / "visit-moving-in.json"
runner = CliRunner()


def alias_bomb(levels: int) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _write(name: str, content: bytes | str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return make


def _folder(folder: Path) -> Path:
    path = folder / "a-folder.json"
    path.mkdir()
    return path


BAD_FILES = {
    "deep-json": _write("deep.json", "[" * 50_000),
    "deep-yaml": _write("deep.yaml", "a: " + "[" * 50_000),
    "bomb-9": _write("bomb.yaml", alias_bomb(9)),
    "not-utf8": _write("latin1.json", '{"name": "é"}'.encode("latin-1")),
    "binary": _write("image.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    "huge-int": _write("huge.json", '{"schema_version": ' + "9" * 10_000 + "}"),
    "folder": _folder,
}
YAML_ONLY = {"bomb-9", "deep-yaml"}


def _one_line_exit_2(args: list[str], path: Path) -> None:
    result = runner.invoke(build_app(), args)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(str(path)), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_catalog_validate(kind: str, tmp_path: Path) -> None:
    path = BAD_FILES[kind](tmp_path)
    _one_line_exit_2(["catalog", "validate", str(path)], path)


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_guide_with_a_bad_catalog(kind: str, tmp_path: Path) -> None:
    path = BAD_FILES[kind](tmp_path)
    _one_line_exit_2(["guide", "--visit", str(VISIT), "--catalog", str(path)], path)


@pytest.mark.parametrize("kind", sorted(set(BAD_FILES) - YAML_ONLY))
def test_visit_validate(kind: str, tmp_path: Path) -> None:
    path = BAD_FILES[kind](tmp_path)
    _one_line_exit_2(["visit", "validate", str(path)], path)


@pytest.mark.parametrize("kind", sorted(set(BAD_FILES) - YAML_ONLY))
def test_guide_with_a_bad_visit(kind: str, tmp_path: Path) -> None:
    path = BAD_FILES[kind](tmp_path)
    _one_line_exit_2(["guide", "--visit", str(path)], path)


@pytest.mark.parametrize("kind", sorted(set(BAD_FILES) - YAML_ONLY))
def test_forms_render_with_a_bad_visit_or_signature(kind: str, tmp_path: Path) -> None:
    path = BAD_FILES[kind](tmp_path)
    out = str(tmp_path / "out.pdf")
    base = ["forms", "render", "--form", "moving-notice", "--out", out]
    _one_line_exit_2([*base, "--visit", str(path)], path)
    if kind != "binary":  # a PNG header is a signature image; the rest must be refused
        _one_line_exit_2([*base, "--visit", str(VISIT), "--signature", str(path)], path)


@pytest.mark.parametrize("kind", sorted(set(BAD_FILES) - YAML_ONLY))
def test_print_slip_with_a_bad_visit_or_guidance(kind: str, tmp_path: Path) -> None:
    path = BAD_FILES[kind](tmp_path)
    base = ["print", "slip", "--printer", "tcp://127.0.0.1:9"]
    _one_line_exit_2([*base, "--visit", str(path)], path)
    _one_line_exit_2([*base, "--visit", str(VISIT), "--guidance", str(path)], path)


def test_forms_render_into_a_folder_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        build_app(),
        [
            "forms",
            "render",
            "--form",
            "moving-notice",
            "--visit",
            str(VISIT),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_card_emulate_with_a_bad_profile(kind: str, tmp_path: Path) -> None:
    path = BAD_FILES[kind](tmp_path)
    result = runner.invoke(build_app(), ["card", "emulate", "--profile", str(path), "--port", "1"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert len(result.output.strip().splitlines()) == 1


def test_the_existing_exit_codes_stay(tmp_path: Path) -> None:
    """A missing file and an invalid document keep exit 1."""
    missing = runner.invoke(build_app(), ["visit", "validate", str(tmp_path / "none.json")])
    assert missing.exit_code == 1
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("catalog: {}\n", encoding="utf-8")
    assert runner.invoke(build_app(), ["catalog", "validate", str(invalid)]).exit_code == 1


def test_a_form_layout_bomb_is_a_layout_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forms import FormsError, load_layout

    (tmp_path / "bomb.yaml").write_text(alias_bomb(9), encoding="utf-8")
    (tmp_path / "deep.yaml").write_text("[" * 50_000, encoding="utf-8")
    monkeypatch.setenv("MADOGUCHI_FORM_LAYOUTS", str(tmp_path))
    for name in ("bomb", "deep"):
        with pytest.raises(FormsError) as caught:
            load_layout(name)
        assert caught.value.code == "forms.layout_invalid"


def test_an_address_list_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.addresses import service
    from backend.platform.safe_parse import DocumentTooComplex

    (tmp_path / "999999.yaml").write_text(alias_bomb(9), encoding="utf-8")
    monkeypatch.setattr(service, "DATA_DIR", tmp_path)
    service.load.cache_clear()
    try:
        with pytest.raises(DocumentTooComplex) as caught:
            service.load("999999")
    finally:
        service.load.cache_clear()
    assert caught.value.code == "document_too_many_nodes" and caught.value.status_code == 422
