"""Command APDUs of the 券面事項入力補助AP and the status words the card answers with."""

from __future__ import annotations

INPUT_SUPPORT_AID = bytes.fromhex("D3921000310001010408")

EF_NUMBER = b"\x00\x01"
EF_BASIC_INFO = b"\x00\x02"
EF_INTEGRITY = b"\x00\x03"
EF_CERTIFICATE = b"\x00\x04"
EF_PIN = b"\x00\x11"

SW_OK = 0x9000
SW_BLOCKED = 0x6984
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_OFFSET_BEYOND_END = 0x6B00
SW_END_OF_FILE_WARNING = 0x6282
MAX_SHORT_LE = 256
MAX_OFFSET = 0x7FFF


def select_application(aid: bytes) -> bytes:
    return bytes([0x00, 0xA4, 0x04, 0x0C, len(aid)]) + aid


def select_ef(fid: bytes) -> bytes:
    return bytes([0x00, 0xA4, 0x02, 0x0C, len(fid)]) + fid


def verify_status() -> bytes:
    """VERIFY without data: answers the tries left and consumes none."""
    return bytes([0x00, 0x20, 0x00, 0x80])


def verify(pin: str) -> bytes:
    data = pin.encode("ascii")
    return bytes([0x00, 0x20, 0x00, 0x80, len(data)]) + data


def read_binary(offset: int, length: int) -> bytes:
    if not 0 <= offset <= MAX_OFFSET or not 1 <= length <= MAX_SHORT_LE:
        raise ValueError("READ BINARY offset or length out of range")
    return bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, length & 0xFF])


def tries_left(sw: int) -> int | None:
    """x of ``63 Cx`` (wrong value, x tries left), else None."""
    return sw & 0x0F if sw & 0xFFF0 == 0x63C0 else None


def describe(apdu: bytes) -> str:
    """Hex for logs, with the data of VERIFY (a PIN) masked."""
    if apdu[1:2] == b"\x20" and len(apdu) > 5:
        return apdu[:5].hex(" ").upper() + " **"
    return apdu.hex(" ").upper()
