"""Ticket machines print on a receipt printer reached by URL (``MADOGUCHI_TICKET_PRINTER_URL``).

This is the direct path for a single-PC install and the demo: the backend and the printer
share a network. Paper out, cover open or an unreachable printer never lose the ticket: the
outcome says so and the ticket machine shows the QR code instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.platform.access import DeviceRef
from backend.printing.service import build_job
from backend.queue.printing import PrintOutcome, PrintStatus, QrSlipJob, TicketPrintJob
from forms.receipt import Part, qr_slip, queue_ticket
from hardware.printer import PrinterError, print_job
from hardware.printer.errors import PaperOutError

TICKET_PAPER_DOTS = 576  # 80 mm paper


@dataclass(frozen=True)
class EscposTicketPrinter:
    url: str
    timeout_seconds: float = 3.0

    def print_ticket(self, device: DeviceRef | None, job: TicketPrintJob) -> PrintOutcome:
        parts = queue_ticket(
            job.display_number,
            job.queue_name_ja,
            job.follow_url,
            job.issued_at_local,
            job.people_ahead,
            job.estimated_minutes,
            tenant_name=job.office_name,
            lang=job.lang,
            queue_en=job.queue_name_en,
            queue_local=job.queue_name_local,
        )
        return self._print(parts)

    def print_qr_slip(self, device: DeviceRef | None, job: QrSlipJob) -> PrintOutcome:
        return self._print(qr_slip(job.kind, job.qr_content, job.lang, job.office_name))

    def _print(self, parts: list[Part]) -> PrintOutcome:
        try:
            print_job(self.url, build_job(parts, TICKET_PAPER_DOTS), timeout=self.timeout_seconds)
        except PaperOutError:
            return PrintOutcome(PrintStatus.PAPER_OUT, "用紙切れです。係員に連絡してください。")
        except PrinterError as exc:
            return PrintOutcome(PrintStatus.FAILED, f"印刷できませんでした（{exc.code}）。")
        return PrintOutcome(PrintStatus.PRINTED)
