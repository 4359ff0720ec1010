"""The local devices the agent drives, built from its command-line options.

Printing uses ``hardware.printer`` (ESC/POS over tcp://, usb://, serial://…): the agent sends the
bytes it was given after asking the printer's real-time status, so an empty paper roll is
reported (``printer.paper_out``) instead of printing into the void. The card reader comes from
``hardware.card`` when that package is installed.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError

from hardware.agent.handlers import CardReader, Handlers
from hardware.printer.errors import PrinterError, PrinterUnreachableError
from hardware.printer.printer import read_status, refuse_faults
from hardware.printer.transport import STATUS_CAPABLE, open_printer, scheme_of

log = logging.getLogger(__name__)


class EscposPrinter:
    """Raw bytes to an ESC/POS printer, refused when it reports paper out, cover open, offline."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def print_bytes(self, data: bytes, *, target: str) -> None:
        device = open_printer(self.url, timeout=self.timeout)
        try:
            device.open()
        except (DeviceNotFoundError, EscposError, OSError) as exc:
            raise PrinterUnreachableError(str(exc)) from exc
        try:
            if scheme_of(self.url) in STATUS_CAPABLE:
                refuse_faults(read_status(device))
            device._raw(data)
        except PrinterError:
            raise
        except (EscposError, OSError) as exc:
            raise PrinterUnreachableError(str(exc)) from exc
        finally:
            try:
                device.close()
            except (EscposError, OSError):
                log.warning("printer close failed")


class PcscCardReader:
    """Adapter to ``hardware.card`` (PC/SC through pcscd): the four attributes, as read."""

    def __init__(self, reader: str | None) -> None:
        self.reader = reader
        self._module: Any = importlib.import_module("hardware.card.reader")

    def read_attributes(self, pin: str | None, *, allow_last_try: bool) -> Mapping[str, str]:
        result = self._module.read_card(pin=pin, reader=self.reader, allow_last_try=allow_last_try)
        return {k: getattr(result, k) for k in ("name", "address", "birth_date", "sex")}


def card_reader(reader: str | None) -> CardReader | None:
    try:
        return PcscCardReader(reader)
    except ImportError:
        log.warning("hardware.card is not installed: this agent cannot read cards")
        return None


def build_handlers(*, reader: str | None, printer: str | None, card: bool = True) -> Handlers:
    return Handlers(
        card_reader=card_reader(reader) if card else None,
        printer=EscposPrinter(printer) if printer else None,
    )
