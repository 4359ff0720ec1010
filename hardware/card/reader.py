"""Reading the basic four details through any :class:`Transport`.

The sequence is the one of ``jpki.md``: select the 券面事項入力補助AP, ask the tries left with an
empty VERIFY, VERIFY the PIN (never with one try left unless allowed, never when blocked), read
EF 0002 and EF 0003 and check the DF32 digest. Nine APDUs for a card whose EF 0002 fits in one
READ BINARY. Nothing partial is ever returned: any failure raises a :class:`CardError`.

Two steps, so that the card is unpowered before the checks run: :func:`read_card_files` while
connected, :func:`parse_card_files` after (:func:`read_card` does both, for fakes and tests).
Everything between two APDUs is kept minimal: each one waits on pcscd, and code that runs right
after such a wait runs with cold caches, several times slower than the same code in a loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, NamedTuple

from hardware.card import apdu
from hardware.card.errors import (
    CardCommunicationError,
    CardDataMalformed,
    InvalidPinFormat,
    LastTryRefused,
    NotMyNumberCard,
    PinBlocked,
    WrongPin,
)
from hardware.card.records import (
    SEX_LABELS,
    mask_number,
    parse_basic_info,
    parse_integrity,
    parse_number,
    verify_basic_info,
    verify_number,
)
from hardware.card.tlv import header_size
from hardware.card.transport import LoggingTransport, Transport

log = logging.getLogger(__name__)

NUMBER_FILE_SIZE = 17

# The commands of every read, built once (a read would otherwise build them all again).
_SELECT_APPLICATION = apdu.select_application(apdu.INPUT_SUPPORT_AID)
_SELECT_PIN = apdu.select_ef(apdu.EF_PIN)
_SELECT_BASIC_INFO = apdu.select_ef(apdu.EF_BASIC_INFO)
_SELECT_INTEGRITY = apdu.select_ef(apdu.EF_INTEGRITY)
_SELECT_NUMBER = apdu.select_ef(apdu.EF_NUMBER)
_VERIFY_STATUS = apdu.verify_status()
_READ_FIRST_CHUNK = apdu.read_binary(0, apdu.MAX_SHORT_LE)
_SW_OK_BYTES = b"\x90\x00"


class CardReadResult(NamedTuple):
    """The basic four details as read and checked (an immutable record, cheap to build)."""

    name: str
    address: str
    birth_date: dt.date
    sex: str
    integrity: str = "verified"
    unusual_characters: tuple[str, ...] = ()
    # Only set when asked for; masked in repr so that logging a result never leaks it.
    individual_number: str | None = None

    def __repr__(self) -> str:
        number = None if self.individual_number is None else self.masked_number
        return (
            f"CardReadResult(name={self.name!r}, address={self.address!r}, "
            f"birth_date={self.birth_date!r}, sex={self.sex!r}, integrity={self.integrity!r}, "
            f"unusual_characters={self.unusual_characters!r}, individual_number={number!r})"
        )

    @property
    def sex_label(self) -> str:
        return SEX_LABELS[self.sex]

    @property
    def masked_number(self) -> str:
        return mask_number(self.individual_number)

    def to_json(self, *, with_number: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "address": self.address,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "sex_label": self.sex_label,
            "integrity": self.integrity,
        }
        if with_number and self.individual_number is not None:
            body["individual_number"] = self.individual_number
        return body


def _status_word(response: bytes) -> int:
    if len(response) < 2:
        raise CardCommunicationError()
    return (response[-2] << 8) | response[-1]


def _unexpected(sw: int, step: str) -> CardCommunicationError:
    return CardCommunicationError(
        f"カードが予期しない応答をしました ({step}: {sw:04X})。"
        "カードを置き直して、もう一度お試しください。"
    )


def _select_application(transport: Transport) -> None:
    response = transport.transmit(_SELECT_APPLICATION)
    if response[-2:] != _SW_OK_BYTES:
        _status_word(response)  # a broken response is a communication error, not a wrong card
        raise NotMyNumberCard()


def _select_ef(transport: Transport, command: bytes) -> None:
    """SELECT an EF by one of the prebuilt commands; a card without it is not a My Number Card."""
    response = transport.transmit(command)
    if response[-2:] == _SW_OK_BYTES:
        return
    sw = _status_word(response)
    if sw == apdu.SW_FILE_NOT_FOUND:
        raise NotMyNumberCard()
    raise _unexpected(sw, f"EF {command[5:].hex()} の選択")


def _check_pin_format(pin: str) -> None:
    if len(pin) != 4 or not pin.isascii() or not pin.isdigit():
        raise InvalidPinFormat()


def _verify_pin(transport: Transport, pin: str, *, allow_last_try: bool) -> None:
    _select_ef(transport, _SELECT_PIN)
    status = _status_word(transport.transmit(_VERIFY_STATUS))
    if status == apdu.SW_OK:
        return  # verified since power-up (some cards): sending the PIN again risks a try
    tries_left = apdu.tries_left(status)
    if status == apdu.SW_BLOCKED or tries_left == 0:
        raise PinBlocked()
    if tries_left is None:
        raise _unexpected(status, "暗証番号の残り回数の確認")
    if tries_left == 1 and not allow_last_try:
        raise LastTryRefused()
    result = _status_word(transport.transmit(apdu.verify(pin)))
    if result == apdu.SW_OK:
        return
    tries_left = apdu.tries_left(result)
    if result == apdu.SW_BLOCKED or tries_left == 0:
        raise PinBlocked(
            "暗証番号が違います。券面事項入力補助用暗証番号がロックされました。"
            "お住まいの市区町村のマイナンバーカード窓口で暗証番号の初期化（再設定）を"
            "してもらうよう案内してください。"
        )
    if tries_left is not None:
        raise WrongPin(retries_left=tries_left)
    raise _unexpected(result, "暗証番号の照合")


def _read_chunk(transport: Transport, offset: int, length: int) -> bytes:
    command = (
        _READ_FIRST_CHUNK
        if offset == 0 and length == apdu.MAX_SHORT_LE
        else apdu.read_binary(offset, length)
    )
    raw = transport.transmit(command)
    if raw[-2:] == _SW_OK_BYTES:
        return raw[:-2]
    sw = _status_word(raw)
    if sw & 0xFF00 == 0x6C00:  # wrong Le: the card says how many bytes it has
        raw = transport.transmit(apdu.read_binary(offset, sw & 0xFF or 256))
        sw = _status_word(raw)
    if sw in (apdu.SW_OK, apdu.SW_END_OF_FILE_WARNING):
        return raw[:-2]
    if sw == apdu.SW_OFFSET_BEYOND_END:
        return b""
    raise _unexpected(sw, "READ BINARY")


def read_file(transport: Transport) -> bytes:
    """Read the TLV object of the selected EF: one 256-byte READ BINARY, more only if needed."""
    data = _read_chunk(transport, 0, apdu.MAX_SHORT_LE)
    _tag, total = header_size(data)
    if total > apdu.MAX_OFFSET + 1:
        raise CardDataMalformed()
    while len(data) < total:
        chunk = _read_chunk(transport, len(data), min(apdu.MAX_SHORT_LE, total - len(data)))
        if not chunk:
            raise CardDataMalformed(
                "カードのデータが途中で終わっています。手入力で対応してください。"
            )
        data += chunk
    return data[:total]


def _read_number(transport: Transport) -> bytes:
    _select_ef(transport, _SELECT_NUMBER)
    return _read_chunk(transport, 0, NUMBER_FILE_SIZE)


class CardFiles:
    """The raw EFs of one read, not yet checked: parse them with :func:`parse_card_files`.

    Reading and checking are separate so that the caller can close the connection (and unpower
    the card) before the checks run. ``repr`` shows no content: EF 0001 holds the 個人番号.
    """

    __slots__ = ("basic_info", "integrity", "number")

    def __init__(self, basic_info: bytes, integrity: bytes, number: bytes | None) -> None:
        self.basic_info = basic_info
        self.integrity = integrity
        self.number = number

    def __repr__(self) -> str:
        return f"CardFiles(<{len(self.basic_info)} + {len(self.integrity)} bytes>)"


def read_card_files(
    transport: Transport,
    pin: str,
    *,
    allow_last_try: bool = False,
    with_number: bool = False,
) -> CardFiles:
    """Verify the PIN and read EF 0002 and EF 0003 (and EF 0001 only if ``with_number``)."""
    _check_pin_format(pin)
    if log.isEnabledFor(logging.DEBUG):
        transport = LoggingTransport(transport, log)
    _select_application(transport)
    _verify_pin(transport, pin, allow_last_try=allow_last_try)
    _select_ef(transport, _SELECT_BASIC_INFO)
    basic_info = read_file(transport)
    number = _read_number(transport) if with_number else None
    _select_ef(transport, _SELECT_INTEGRITY)
    return CardFiles(basic_info, read_file(transport), number)


def parse_card_files(files: CardFiles) -> CardReadResult:
    """Parse the files and check them against the DF31/DF32 digests: all good, or an error."""
    integrity = parse_integrity(files.integrity)
    info = parse_basic_info(files.basic_info)
    verify_basic_info(info, integrity)
    number = None
    if files.number is not None:
        verify_number(files.number, integrity)
        number = parse_number(files.number)
    name, address, birth_date, sex, _region = info
    return CardReadResult(
        name,
        address,
        birth_date,
        sex,
        unusual_characters=tuple(info.unusual_characters()),
        individual_number=number,
    )


def read_card(
    transport: Transport,
    pin: str,
    *,
    allow_last_try: bool = False,
    with_number: bool = False,
) -> CardReadResult:
    """Read and check the basic four details (and the 個人番号 only if ``with_number``).

    With a PC/SC connection, prefer :func:`read_card_files` inside the ``with`` block and
    :func:`parse_card_files` after it: the card is then unpowered before the checks run.
    """
    files = read_card_files(transport, pin, allow_last_try=allow_last_try, with_number=with_number)
    return parse_card_files(files)
