"""The local devices the agent drives, built from its command-line options.

Printing uses ``hardware.printer`` (ESC/POS over tcp://, usb://, serial://…): the agent sends the
bytes it was given after asking the printer's real-time status, so an empty paper roll is
reported (``printer.paper_out``) instead of printing into the void. Cards are read with
``hardware.card`` through pcscd.
"""

from __future__ import annotations

import contracts.agent as protocol
from hardware.agent.handlers import Handlers, JobError
from hardware.card.pcsc import PcscContext
from hardware.card.reader import parse_card_files, read_card_files
from hardware.printer.printer import print_bytes


class EscposPrinter:
    """Raw bytes to an ESC/POS printer, refused when it reports paper out, cover open, offline."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def print_bytes(self, data: bytes, *, target: str) -> None:
        print_bytes(self.url, data, self.timeout)


class PcscCardReader:
    """A My Number Card on a PC/SC reader (``hardware.card``): the four attributes, as read.

    ``hardware.card``'s errors carry the codes the clerk's screen explains (wrong_pin with
    retries_left, pin_blocked, last_try_refused, no_card, card_removed, ...).
    """

    def __init__(self, reader: str | None, wait_seconds: float = 5.0) -> None:
        self.reader = reader
        self.wait_seconds = wait_seconds

    def read_attributes(self, pin: str | None, *, allow_last_try: bool) -> protocol.CardResult:
        if pin is None:
            raise JobError(
                "pin_pad_unsupported",
                "このカードリーダーでは暗証番号を入力できません。タブレットで入力してください。",
            )
        with PcscContext() as pcsc:
            name = pcsc.wait_for_card(self.reader, timeout=self.wait_seconds)
            with pcsc.connect(name) as transport:
                files = read_card_files(transport, pin, allow_last_try=allow_last_try)
        result = parse_card_files(files)  # after the card is unpowered
        return protocol.CardResult(
            name=result.name,
            address=result.address,
            birth_date=result.birth_date.isoformat(),
            sex=result.sex,
        )


def build_handlers(*, reader: str | None, printer: str | None, card: bool = True) -> Handlers:
    return Handlers(
        card_reader=PcscCardReader(reader) if card else None,
        printer=EscposPrinter(printer) if printer else None,
    )
