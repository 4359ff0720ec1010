"""The one raw I/O method a card reader needs, and fakes of it for tests.

Anything with ``transmit(apdu) -> response`` (status word included) can carry a read: a PC/SC
connection (:mod:`hardware.card.pcsc`), the emulated card itself, or a scripted fake that checks
every byte sent. Transports raise :class:`~hardware.card.errors.CardError` subclasses only.
"""

from __future__ import annotations

import logging
from typing import Protocol

from hardware.card.apdu import describe


class Transport(Protocol):
    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU; return the response data followed by SW1 SW2."""
        ...


class ScriptedTransport:
    """A fake card that expects exact command bytes in order and answers scripted responses."""

    def __init__(self, exchanges: list[tuple[bytes, bytes]]) -> None:
        self._exchanges = list(exchanges)
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        if not self._exchanges:
            raise AssertionError(f"unexpected APDU after the script ended: {describe(apdu)}")
        expected, response = self._exchanges.pop(0)
        if apdu != expected:
            raise AssertionError(f"sent {describe(apdu)}, expected {describe(expected)}")
        self.sent.append(apdu)
        return response

    @property
    def finished(self) -> bool:
        return not self._exchanges


class CountingTransport:
    """Wraps a transport and counts the APDUs (benchmark, tests); keeps PINs masked."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self._headers: list[bytes] = []

    @property
    def count(self) -> int:
        return len(self._headers)

    @property
    def trace(self) -> list[str]:
        return [describe(header) for header in self._headers]

    def transmit(self, apdu: bytes) -> bytes:
        # VERIFY keeps its header only, so no PIN stays in memory; describe() masks the rest
        self._headers.append(apdu[:5] + b"\x00" if apdu[1] == 0x20 and len(apdu) > 5 else apdu)
        return self.inner.transmit(apdu)


class LoggingTransport:
    """Wraps a transport and logs each APDU at DEBUG, with the PIN of a VERIFY masked.

    The reader wraps its transport in one only when DEBUG is on, so a normal read pays nothing.
    """

    def __init__(self, inner: Transport, log: logging.Logger) -> None:
        self.inner = inner
        self._log = log

    def transmit(self, apdu: bytes) -> bytes:
        response = self.inner.transmit(apdu)
        self._log.debug(
            "APDU %s -> %s (%d bytes)", describe(apdu), response[-2:].hex().upper(), len(response)
        )
        return response
