"""Fixtures for the forms tests: synthetic records (forms_samples) and poppler helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

POPPLER = ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm")


@pytest.fixture(scope="session")
def poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"poppler-utils missing: {missing}")
        pytest.skip(f"poppler-utils not installed: {missing}")


def run_tool(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_text(path: Path) -> str:
    """pdftotext in content order. poppler prints U+3000 as a plain space: compare accordingly."""
    return run_tool("pdftotext", "-raw", str(path), "-")


def as_extracted(value: str) -> str:
    return value.replace("\u3000", " ")
