"""The forms on disk are listed once per state of the layout folders, and again when one
changes: a layout file added to the municipality's folder is a known form at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend.counter.documents import known_forms
from forms import form_names
from forms.layout import BUILTIN_DIR


def test_a_layout_added_to_the_folder_is_known_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MADOGUCHI_FORM_LAYOUTS", str(tmp_path))
    assert known_forms() == frozenset(form_names())
    assert "town-extra-form" not in known_forms()
    text = (BUILTIN_DIR / "checklist.yaml").read_text(encoding="utf-8")
    (tmp_path / "town-extra-form.yaml").write_text(text, encoding="utf-8")
    os.utime(tmp_path, ns=(1, 1))  # a folder's mtime may not tick between two quick writes
    assert "town-extra-form" in known_forms() == frozenset(form_names())
    (tmp_path / "town-extra-form.yaml").unlink()
    os.utime(tmp_path, ns=(2, 2))
    assert "town-extra-form" not in known_forms()
