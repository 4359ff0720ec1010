"""Receipts name the visit as people see it; hashes travel only in the QR code."""

from __future__ import annotations

import re

from forms.receipt import Line, QrCode, checklist_slip, form_summary
from tests.helpers.forms_samples import guidance, visit

DIGEST = "ab" * 32


def _lines(parts: list[object]) -> list[str]:
    return [p.text for p in parts if isinstance(p, Line)]


def test_summary_has_titles_and_label_but_no_hash_lines() -> None:
    parts = form_summary(visit(2), [("住民異動届", DIGEST), ("手続きチェックシート", "cd" * 32)])
    lines = _lines(parts)  # type: ignore[arg-type]
    assert "・住民異動届" in lines
    assert "受付番号 A-007 2026-11-24" in lines
    assert not any(re.search(r"[0-9a-f]{16}", line) for line in lines), lines
    assert not any("SHA-256" in line or "V-20261124-0007" in line for line in lines)
    codes = [p.content for p in parts if isinstance(p, QrCode)]
    assert len(codes) == 1
    assert f"sha256={DIGEST}" in codes[0] and "visit=V-20261124-0007" in codes[0]


def test_slip_ends_with_the_reception_label() -> None:
    lines = _lines(checklist_slip(visit(2), guidance()))  # type: ignore[arg-type]
    assert lines[-1] == "受付番号 A-007 2026-11-24"
    assert not any("V-20261124-0007" in line for line in lines)


def test_no_label_no_line() -> None:
    record = visit(1).model_copy(update={"reception_label": None})
    lines = _lines(checklist_slip(record, guidance()))  # type: ignore[arg-type]
    assert not any(line.startswith("受付番号") for line in lines)
