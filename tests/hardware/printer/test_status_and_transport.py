from __future__ import annotations

import pytest

from hardware.printer.errors import UnsupportedPrinterUrlError
from hardware.printer.status import PrinterStatus, is_status_byte, query
from hardware.printer.transport import open_printer


def test_query_bytes() -> None:
    assert query(1) == b"\x10\x04\x01"
    assert query(4) == b"\x10\x04\x04"


def test_status_bits() -> None:
    assert PrinterStatus.from_replies(0x12, 0x12, 0x12) == PrinterStatus()
    assert PrinterStatus.from_replies(0x12, 0x12, 0x1E).paper_near_end
    out = PrinterStatus.from_replies(0x1A, 0x32, 0x7E)
    assert out.paper_out and not out.online
    assert PrinterStatus.from_replies(0x1A, 0x16, 0x12).cover_open
    assert is_status_byte(0x12) and is_status_byte(0x7E) and not is_status_byte(0x00)


def test_transports_by_url() -> None:
    from escpos.printer import CupsPrinter, File, Network, Serial, Usb

    tcp = open_printer("tcp://192.0.2.10:9101", timeout=2)
    assert isinstance(tcp, Network) and (tcp.host, tcp.port, tcp.timeout) == ("192.0.2.10", 9101, 2)
    assert open_printer("tcp://printer.local").port == 9100
    usb = open_printer("usb://04b8:0202")
    assert isinstance(usb, Usb) and usb.usb_args == {"idVendor": 0x04B8, "idProduct": 0x0202}
    serial = open_printer("serial:///dev/ttyS0?baudrate=19200")
    assert isinstance(serial, Serial) and (serial.devfile, serial.baudrate) == ("/dev/ttyS0", 19200)
    assert isinstance(open_printer("file:///tmp/receipt.bin"), File)
    if CupsPrinter.is_usable():
        assert isinstance(open_printer("cups://TM-T88V"), CupsPrinter)


@pytest.mark.parametrize("url", ["lpt://1", "tcp://:9100", "usb://zz:01", "file://"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(UnsupportedPrinterUrlError):
        open_printer(url)
