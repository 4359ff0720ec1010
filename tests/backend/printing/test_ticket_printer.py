"""The ticket machine's printer: a real ESC/POS job to the emulator, faults as outcomes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.printing.tickets import EscposTicketPrinter
from backend.queue.printing import PrintStatus, TicketPrintJob
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
