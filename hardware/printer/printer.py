"""Print one job: open, ask the real-time status, refuse on faults, send, close."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError

from hardware.printer.errors import (
    PAPER_NEAR_END_WARNING,
    CoverOpenError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrinterUnreachableError,
)
from hardware.printer.job import ReceiptJob, encode_job
from hardware.printer.status import (
    OFFLINE_CAUSE,
    PAPER,
    PRINTER,
    PrinterStatus,
    is_status_byte,
    query,
)
from hardware.printer.transport import STATUS_CAPABLE, open_printer, scheme_of

log = logging.getLogger(__name__)


@dataclass
class PrintResult:
    status: PrinterStatus
    bytes_sent: int
    warnings: list[str] = field(default_factory=list)


def _ask(device: Escpos, n: int) -> int:
    device._raw(query(n))
    try:
        reply = device._read()
    except (TimeoutError, OSError) as exc:
        raise PrinterUnreachableError("状態の問い合わせに応答がありません") from exc
    if not reply or not is_status_byte(reply[-1]):
        raise PrinterUnreachableError("状態の問い合わせに応答がありません")
    return reply[-1]


def read_status(device: Escpos) -> PrinterStatus:
    printer = _ask(device, PRINTER)
    offline_cause = _ask(device, OFFLINE_CAUSE) if printer & 0x08 else 0x12
    paper = _ask(device, PAPER)
    return PrinterStatus.from_replies(printer, offline_cause, paper)


def refuse_faults(status: PrinterStatus) -> None:
    """Raise for a state in which nothing may be printed (the order: what the clerk fixes first)."""
    if status.cover_open:
        raise CoverOpenError()
    if status.paper_out:
        raise PaperOutError()
    if not status.online or status.error:
        raise PrinterOfflineError()


def print_job(url: str, job: ReceiptJob, timeout: float = 5.0) -> PrintResult:
    """Print ``job`` on the printer at ``url``; nothing is printed when the printer reports a fault.

    Raises a PrinterError subclass; a paper-near-end printer prints and the result warns.
    """
    data = encode_job(job)
    status = print_bytes(url, data, timeout)
    warnings = [PAPER_NEAR_END_WARNING] if status.paper_near_end else []
    log.info("printed %d bytes on %s", len(data), scheme_of(url))
    return PrintResult(status=status, bytes_sent=len(data), warnings=warnings)


def print_bytes(url: str, data: bytes, timeout: float = 5.0) -> PrinterStatus:
    """Send encoded ESC/POS bytes, unless the printer reports a fault; its status before printing.

    Raises a PrinterError subclass (unreachable, cover open, paper out, offline).
    """
    device = open_printer(url, timeout=timeout)
    try:
        device.open()
    except (DeviceNotFoundError, EscposError, OSError) as exc:
        raise PrinterUnreachableError(str(exc)) from exc
    except RuntimeError as exc:  # python-escpos: the transport's library (pyusb, pycups) missing
        raise PrinterError(str(exc)) from exc
    try:
        status = (
            read_status(device) if scheme_of(url) in STATUS_CAPABLE else PrinterStatus(known=False)
        )
        refuse_faults(status)
        device._raw(data)
    except PrinterError:
        raise
    except (EscposError, OSError) as exc:
        raise PrinterUnreachableError(str(exc)) from exc
    finally:
        _close(device)
    return status


def _close(device: Escpos) -> None:
    try:
        device.close()
    except (EscposError, OSError):
        log.warning("printer close failed", exc_info=True)
