"""Fixtures for the forms tests. Synthetic records and the poppler helpers are in tests/helpers."""

from __future__ import annotations

import os
import shutil

import pytest

POPPLER = ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm")


@pytest.fixture(scope="session")
def poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"poppler-utils missing: {missing}")
        pytest.skip(f"poppler-utils not installed: {missing}")


@pytest.fixture(scope="session")
def adobe_japan1_font() -> None:
    """Noto Serif CJK (fonts-noto-cjk): the Adobe-Japan1 variation sequences IPAmj明朝 lacks."""
    from forms.outline_glyphs import font_file

    if font_file() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("fonts-noto-cjk missing (scripts/bootstrap.sh installs it)")
        pytest.skip("fonts-noto-cjk not installed")
