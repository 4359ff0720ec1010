"""Receipt printers: ESC/POS jobs, transports by URL, real-time status, and an emulator.

Uses no other project package: a job arrives as blocks (raster images, ASCII text, kanji text,
QR codes) and leaves as bytes.
"""

from hardware.printer.errors import (
    CoverOpenError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrinterUnreachableError,
)
from hardware.printer.job import (
    Block,
    Cut,
    Feed,
    KanjiText,
    Qr,
    Raster,
    ReceiptJob,
    Text,
    encode_job,
)
from hardware.printer.printer import PrintResult, print_job
from hardware.printer.status import PrinterStatus

__all__ = [
    "Block",
    "CoverOpenError",
    "Cut",
    "Feed",
    "KanjiText",
    "PaperOutError",
    "PrintResult",
    "PrinterError",
    "PrinterOfflineError",
    "PrinterStatus",
    "PrinterUnreachableError",
    "Qr",
    "Raster",
    "ReceiptJob",
    "Text",
    "encode_job",
    "print_job",
]
