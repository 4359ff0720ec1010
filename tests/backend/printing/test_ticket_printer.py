"""The ticket machine's printer: a real ESC/POS job to the emulator, faults as outcomes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from backend.printing.tickets import EscposTicketPrinter
from backend.queue.printing import PrintStatus, TicketPrintJob
from forms.receipt import Line, queue_ticket
from hardware.printer.emulator import PrinterEmulator, start_emulator

JOB = TicketPrintJob(
    display_number="B-007",
    queue_name_ja="証明書",
    queue_name_en="Certificates",
    office_name="本庁舎",
    issued_at_local=dt.datetime(2026, 11, 24, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    people_ahead=3,
    estimated_minutes=12,
    follow_url="http://127.0.0.1:8000/follow/#abc",
)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    running = start_emulator(port=0, out_dir=tmp_path)
    yield running
    running.stop()


def test_prints_the_ticket(emulator: PrinterEmulator) -> None:
    outcome = EscposTicketPrinter(f"tcp://127.0.0.1:{emulator.port}").print_ticket(None, JOB)
    assert outcome.status is PrintStatus.PRINTED
    deadline = time.monotonic() + 5  # the emulator decodes after the connection closes
    while not emulator.receipts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(emulator.receipts) == 1
    kinds = {element.kind for element in emulator.receipts[0].elements}
    assert "raster" in kinds  # the Japanese lines go as images, never GB18030 text


def test_paper_out_prints_nothing_and_says_so(emulator: PrinterEmulator) -> None:
    emulator.state = "paper-out"
    outcome = EscposTicketPrinter(f"tcp://127.0.0.1:{emulator.port}").print_ticket(None, JOB)
    assert outcome.status is PrintStatus.PAPER_OUT
    assert "用紙切れ" in outcome.message
    assert emulator.receipts == []


def test_unreachable_printer_is_a_failed_outcome_not_an_error() -> None:
    printer = EscposTicketPrinter("tcp://127.0.0.1:9", timeout_seconds=0.5)
    outcome = printer.print_ticket(None, JOB)
    assert outcome.status is PrintStatus.FAILED
    assert "printer.unreachable" in outcome.message


def _texts(lang: str) -> list[str]:
    parts = queue_ticket(
        "B-007",
        "証明書",
        "http://127.0.0.1:8000/follow/?lang=en#abc",
        JOB.issued_at_local,
        1,
        12,
        tenant_name="Kita City",
        lang=lang,
        queue_en="Certificates",
    )
    return [p.text for p in parts if isinstance(p, Line)]


def test_an_english_ticket_prints_an_english_slip() -> None:
    texts = _texts("en")
    assert texts[:4] == ["Kita City", "Your number", "B-007", "Certificates"]
    assert "1 person ahead of you" in texts
    assert "Estimated wait: about 12 min" in texts
    assert all(text.isascii() for text in texts), texts  # not a Japanese word on it


def test_other_languages_print_english_with_the_japanese_beside_it() -> None:
    for lang in ("zh-Hans", "ko", "vi", "pt"):
        texts = _texts(lang)
        assert "Your number / 受付番号" in texts and "Certificates" in texts and "証明書" in texts
        assert "お待ちの方 1人" in texts and "1 person ahead of you" in texts


def test_the_japanese_slip_is_unchanged() -> None:
    assert _texts("ja")[:4] == ["Kita City", "受付番号", "B-007", "証明書"]
    assert not any("Your number" in text for text in _texts("ja"))


def test_an_english_job_reaches_the_printer(emulator: PrinterEmulator) -> None:
    job = replace(JOB, lang="en", follow_url="http://127.0.0.1:8000/follow/?lang=en#abc")
    outcome = EscposTicketPrinter(f"tcp://127.0.0.1:{emulator.port}").print_ticket(None, job)
    assert outcome.status is PrintStatus.PRINTED
    deadline = time.monotonic() + 5
    while not emulator.receipts and time.monotonic() < deadline:
        time.sleep(0.05)
    qr = [e.text for e in emulator.receipts[0].elements if e.kind == "qr"]
    assert qr == ["http://127.0.0.1:8000/follow/?lang=en#abc"], qr
