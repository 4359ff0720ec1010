"""Real-time status (DLE EOT n) and what the replies mean.

Each reply is one byte with bits 1 and 4 always set (0x12). n=1 printer: bit 3 offline.
n=2 offline cause: bit 2 cover open, bit 3 feed button, bit 5 stopped by paper end, bit 6 error.
n=3 error cause: bit 3 autocutter, bit 5 unrecoverable, bit 6 auto-recoverable.
n=4 paper roll sensor: bits 2-3 near end, bits 5-6 paper end.
"""

from __future__ import annotations

from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER = 1, 2, 3, 4
FIXED_BITS = 0x12


def query(n: int) -> bytes:
    return DLE_EOT + bytes((n,))


def is_status_byte(value: int) -> bool:
    return value & 0x93 == FIXED_BITS


@dataclass(frozen=True)
class PrinterStatus:
    online: bool = True
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False
    known: bool = True  # False when the transport cannot read (file, CUPS)

    @classmethod
    def from_replies(cls, printer: int, offline_cause: int, paper: int) -> PrinterStatus:
        return cls(
            online=not printer & 0x08,
            cover_open=bool(offline_cause & 0x04),
            paper_out=bool(offline_cause & 0x20) or bool(paper & 0x60),
            paper_near_end=bool(paper & 0x0C),
            error=bool(offline_cause & 0x40),
        )
