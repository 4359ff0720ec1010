"""poppler command-line helpers for the forms tests (the ``poppler`` fixture skips without it)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def run_tool(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_text(path: Path) -> str:
    """pdftotext in content order. poppler prints U+3000 as a plain space: compare accordingly."""
    return run_tool("pdftotext", "-raw", str(path), "-")


def as_extracted(value: str) -> str:
    return value.replace("\u3000", " ")
