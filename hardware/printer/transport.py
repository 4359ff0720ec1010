"""Open a printer from its URL with python-escpos's transports.

tcp://host:9100 · usb://VID:PID (hex) · serial:///dev/ttyS0?baudrate=19200 · cups://QUEUE ·
file:///path. Devices are opened and closed explicitly per job.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from escpos.escpos import Escpos

from hardware.printer.errors import UnsupportedPrinterUrlError

# Transports that can answer DLE EOT; CUPS spools and files cannot be asked anything.
STATUS_CAPABLE = {"tcp", "usb", "serial"}


def scheme_of(url: str) -> str:
    return urlparse(url).scheme.lower()


def open_printer(url: str, timeout: float = 5.0) -> Escpos:
    """A python-escpos printer for ``url`` (not yet opened: call ``open()``)."""
    parts = urlparse(url)
    scheme = parts.scheme.lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        return _BUILDERS[scheme](parts.netloc, unquote(parts.path), query, timeout)
    except KeyError as exc:
        raise UnsupportedPrinterUrlError(url) from exc
    except ValueError as exc:
        raise UnsupportedPrinterUrlError(f"{url}: {exc}") from exc


def _tcp(netloc: str, path: str, query: dict[str, str], timeout: float) -> Escpos:
    from escpos.printer import Network

    host, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "9100")
    if not host:
        raise ValueError("host missing")
    return Network(host.strip("[]"), port=int(port), timeout=timeout)


def _usb(netloc: str, path: str, query: dict[str, str], timeout: float) -> Escpos:
    from escpos.printer import Usb

    vendor, _, product = netloc.partition(":")
    extra: dict[str, Any] = {}
    if "in_ep" in query:
        extra["in_ep"] = int(query["in_ep"], 0)
    if "out_ep" in query:
        extra["out_ep"] = int(query["out_ep"], 0)
    return Usb(int(vendor, 16), int(product, 16), timeout=int(timeout * 1000), **extra)


def _serial(netloc: str, path: str, query: dict[str, str], timeout: float) -> Escpos:
    from escpos.printer import Serial

    device = path or netloc
    if not device:
        raise ValueError("device missing")
    return Serial(devfile=device, baudrate=int(query.get("baudrate", "9600")), timeout=timeout)


def _cups(netloc: str, path: str, query: dict[str, str], timeout: float) -> Escpos:
    from escpos.printer import CupsPrinter

    return CupsPrinter(printer_name=netloc or path.strip("/"))


def _file(netloc: str, path: str, query: dict[str, str], timeout: float) -> Escpos:
    from escpos.printer import File

    if not path:
        raise ValueError("path missing")
    return File(devfile=path)


_BUILDERS = {"tcp": _tcp, "usb": _usb, "serial": _serial, "cups": _cups, "file": _file}
