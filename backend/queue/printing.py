"""The seam between issuing a ticket and printing it.

The ticket machine's printer is driven by ``forms/`` (receipt rendering) and ``hardware/printer``
(ESC/POS over TCP 9100, through the counter agent); the lead wires them here with
``set_ticket_printer``. Until then nothing is printed and the screen shows the QR code. A printer
that reports paper out, or fails, never stops a ticket: the resident gets the QR on screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol

from backend.platform.access import DeviceRef


class PrintStatus(StrEnum):
    PRINTED = "printed"
    PAPER_OUT = "paper_out"
    FAILED = "failed"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class TicketPrintJob:
    """What goes on the paper ticket: no personal data, only the number and how to follow it."""

    display_number: str
    queue_name_ja: str
    queue_name_en: str
    office_name: str
    issued_at_local: dt.datetime
    people_ahead: int
    estimated_minutes: int | None
    follow_url: str
    lang: str = "ja"  # chosen on the ticket machine: the slip's language (forms.receipt)
    queue_name_local: str | None = None  # the queue's name in ``lang`` (Queue.name_in)


@dataclass(frozen=True)
class QrSlipJob:
    """A slip with one QR code and a few words in the resident's language (forms.receipt
    ``qr_slip``): the pre-entry page / 手続きナビ (``page``), or a pre-entry finished on the
    ticket machine (``preentry``), whose code the clerk scans. No personal data."""

    kind: Literal["page", "preentry"]
    qr_content: str
    lang: str
    office_name: str


@dataclass(frozen=True)
class PrintOutcome:
    status: PrintStatus
    message: str = ""

    @property
    def printed(self) -> bool:
        return self.status is PrintStatus.PRINTED


class TicketPrinter(Protocol):
    def print_ticket(self, device: DeviceRef | None, job: TicketPrintJob) -> PrintOutcome: ...

    def print_qr_slip(self, device: DeviceRef | None, job: QrSlipJob) -> PrintOutcome: ...


class NoTicketPrinter:
    """The default until a printer is wired: the machine shows the QR instead."""

    def print_ticket(self, device: DeviceRef | None, job: TicketPrintJob) -> PrintOutcome:
        return PrintOutcome(PrintStatus.NOT_CONFIGURED, "プリンターが設定されていません。")

    def print_qr_slip(self, device: DeviceRef | None, job: QrSlipJob) -> PrintOutcome:
        return PrintOutcome(PrintStatus.NOT_CONFIGURED, "プリンターが設定されていません。")


@dataclass
class FakeTicketPrinter:
    """For tests and the demo: records jobs; set ``status`` to simulate paper out."""

    status: PrintStatus = PrintStatus.PRINTED
    jobs: list[TicketPrintJob] = field(default_factory=list)
    slips: list[QrSlipJob] = field(default_factory=list)

    def print_ticket(self, device: DeviceRef | None, job: TicketPrintJob) -> PrintOutcome:
        self.jobs.append(job)
        return self._outcome()

    def print_qr_slip(self, device: DeviceRef | None, job: QrSlipJob) -> PrintOutcome:
        self.slips.append(job)
        return self._outcome()

    def _outcome(self) -> PrintOutcome:
        messages = {
            PrintStatus.PRINTED: "",
            PrintStatus.PAPER_OUT: "用紙切れです。係員に連絡してください。",
            PrintStatus.FAILED: "印刷に失敗しました。",
            PrintStatus.NOT_CONFIGURED: "プリンターが設定されていません。",
        }
        return PrintOutcome(self.status, messages[self.status])


_printer: TicketPrinter = NoTicketPrinter()


def get_ticket_printer() -> TicketPrinter:
    return _printer


def set_ticket_printer(printer: TicketPrinter) -> TicketPrinter:
    """Install the printer used by ticket machines; returns the previous one (tests restore it)."""
    global _printer
    previous, _printer = _printer, printer
    return previous


def print_safely(
    printer: TicketPrinter, device: DeviceRef | None, job: TicketPrintJob | QrSlipJob
) -> PrintOutcome:
    try:
        if isinstance(job, QrSlipJob):
            return printer.print_qr_slip(device, job)
        return printer.print_ticket(device, job)
    except Exception:  # a printer problem must never lose the resident's ticket
        return PrintOutcome(
            PrintStatus.FAILED, "印刷に失敗しました。画面のQRコードをご利用ください。"
        )
