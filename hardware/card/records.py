"""Files of the 券面事項入力補助AP: EF 0002 (基本4情報), EF 0003 (integrity), EF 0001 (個人番号).

Parsing follows the BER headers, never fixed offsets, and keeps text code point for code point
(no Unicode normalisation: 髙, 﨑 U+FA11, U+FA30 and 𠮷 U+20BB7 stay as the card holds them).
The encoders build the same files for the emulator and for tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import unicodedata
from typing import NamedTuple

from contracts.individual_number import check_digit
from hardware.card.errors import CardDataMalformed, IntegrityCheckFailed
from hardware.card.tlv import (
    LengthForm,
    Tlv,
    children_by_tag,
    encode_length,
    encode_tag,
    encode_tlv,
    read_tlv,
)

TAG_BASIC_INFO = 0xFF20
TAG_OFFSETS = 0xDF21
TAG_NAME = 0xDF22
TAG_ADDRESS = 0xDF23
TAG_BIRTH_DATE = 0xDF24
TAG_SEX = 0xDF25
_OFFSETS = struct.Struct(">4H")  # DF21: where each of the four fields starts, big-endian u16

TAG_INTEGRITY = 0xFF30
TAG_NUMBER_DIGEST = 0xDF31
TAG_BASIC_INFO_DIGEST = 0xDF32
TAG_SIGNATURE = 0xDF33

TAG_NUMBER = 0xFF10

SEX_LABELS = {"1": "男", "2": "女", "9": "適用不能", "0": "不明"}
_SEX_CODES = {code.encode("ascii"): code for code in SEX_LABELS}  # as the card writes them

# Categories that are data to carry but that staff should look at (外字 may arrive as private use).
_FLAGGED_CATEGORIES = {"Co", "Cn", "Cc", "Cf", "Cs"}


def mask_number(number: str | None) -> str:
    return "" if number is None else "*" * len(number)


class BasicInfo(NamedTuple):
    """基本4情報 exactly as read, plus the bytes the DF32 digest covers.

    A NamedTuple, like the other records parsed during a read: immutable, and cheaper to build
    than a frozen dataclass (the read path is timed against a bare loop).
    """

    name: str
    address: str
    birth_date: dt.date
    sex: str
    digest_region: bytes

    @property
    def sex_label(self) -> str:
        return SEX_LABELS[self.sex]

    def unusual_characters(self) -> list[str]:
        """Code points staff should check by eye (private use, unassigned, controls)."""
        text = self.name + self.address
        if text.replace("\u3000", "").isprintable():  # fast path: no Cc/Cf/Cs/Co/Cn at all
            return []
        found = []
        for char in text:
            if unicodedata.category(char) in _FLAGGED_CATEGORIES:
                found.append(f"U+{ord(char):04X}")
        return sorted(set(found))


class IntegrityRecord(NamedTuple):
    number_digest: bytes
    basic_info_digest: bytes
    signature: bytes
    signed_data: bytes  # DF31 TLV followed by the DF32 TLV, as on the card


def _malformed(what: str) -> CardDataMalformed:
    return CardDataMalformed(
        f"カードのデータを解釈できませんでした ({what})。"
        "カードが破損している可能性があります。手入力で対応してください。"
    )


def _decode_text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")  # strict: bytes that are not UTF-8 are not text
    except UnicodeDecodeError:
        raise _malformed(f"{what}の文字コード") from None


def _decode_birth_date(raw: bytes) -> dt.date:
    if len(raw) != 8 or not raw.isdigit():  # bytes.isdigit: ASCII digits only
        raise _malformed("生年月日")
    try:
        return dt.date.fromisoformat(raw.decode("ascii"))  # YYYYMMDD is ISO 8601's basic form
    except ValueError:
        raise _malformed("生年月日") from None


def _decode_sex(raw: bytes) -> str:
    code = _SEX_CODES.get(raw)
    if code is None:
        raise _malformed("性別")
    return code


def _check_offsets(buffer: bytes, offsets: Tlv, fields: tuple[Tlv, Tlv, Tlv, Tlv]) -> None:
    """DF21 must give where each of the four fields really starts."""
    raw = buffer[offsets.value_start : offsets.end]
    if len(raw) != _OFFSETS.size:
        raise _malformed("DF21 の長さ")
    declared = _OFFSETS.unpack(raw)
    if declared != (fields[0].start, fields[1].start, fields[2].start, fields[3].start):
        wrong = next(f for d, f in zip(declared, fields, strict=True) if d != f.start)
        raise _malformed(f"DF21 のオフセットと {wrong.tag:X} の位置が不一致")


def parse_basic_info(buffer: bytes) -> BasicInfo:
    """Parse EF 0002 (filler bytes after the object are ignored)."""
    outer = read_tlv(buffer, 0)
    if outer.tag != TAG_BASIC_INFO:
        raise _malformed("EF0002 の先頭タグ")
    children = children_by_tag(buffer, outer)
    try:
        offsets = children[TAG_OFFSETS]
        name, address = children[TAG_NAME], children[TAG_ADDRESS]
        birth_date, sex = children[TAG_BIRTH_DATE], children[TAG_SEX]
    except KeyError:
        raise _malformed("必要な項目がない") from None
    _check_offsets(buffer, offsets, (name, address, birth_date, sex))
    if not name.start < sex.start:
        raise _malformed("項目の順序")
    return BasicInfo(
        name=_decode_text(buffer[name.value_start : name.end], "氏名"),
        address=_decode_text(buffer[address.value_start : address.end], "住所"),
        birth_date=_decode_birth_date(buffer[birth_date.value_start : birth_date.end]),
        sex=_decode_sex(buffer[sex.value_start : sex.end]),
        digest_region=buffer[name.start : sex.end],
    )


def parse_integrity(buffer: bytes) -> IntegrityRecord:
    """Parse EF 0003."""
    outer = read_tlv(buffer, 0)
    if outer.tag != TAG_INTEGRITY:
        raise _malformed("EF0003 の先頭タグ")
    children = children_by_tag(buffer, outer)
    try:
        number_digest = children[TAG_NUMBER_DIGEST]
        info_digest = children[TAG_BASIC_INFO_DIGEST]
        signature = children[TAG_SIGNATURE]
    except KeyError:
        raise _malformed("EF0003 の項目がない") from None
    if number_digest.end - number_digest.value_start != 32:
        raise _malformed("DF31 の長さ")
    if info_digest.end - info_digest.value_start != 32:
        raise _malformed("DF32 の長さ")
    return IntegrityRecord(
        number_digest=buffer[number_digest.value_start : number_digest.end],
        basic_info_digest=buffer[info_digest.value_start : info_digest.end],
        signature=buffer[signature.value_start : signature.end],
        signed_data=buffer[number_digest.start : number_digest.end]
        + buffer[info_digest.start : info_digest.end],
    )


# hashlib.sha256() looks the algorithm up in OpenSSL's provider tables on every call, which
# costs more than hashing 100 bytes once caches are cold (as they are right after waiting on
# the card); copying a context prepared once skips the look-up.
_SHA256 = hashlib.sha256()


def _sha256(data: bytes) -> bytes:
    hasher = _SHA256.copy()
    hasher.update(data)
    return hasher.digest()


def verify_basic_info(info: BasicInfo, integrity: IntegrityRecord) -> None:
    if _sha256(info.digest_region) != integrity.basic_info_digest:
        raise IntegrityCheckFailed()


def verify_number(stored: bytes, integrity: IntegrityRecord) -> None:
    if _sha256(stored) != integrity.number_digest:
        raise IntegrityCheckFailed()


def parse_number(buffer: bytes) -> str:
    """Parse EF 0001 (``FF 10 0C`` + 12 ASCII digits, then filler)."""
    outer = read_tlv(buffer, 0)
    raw = outer.value(buffer)
    text = raw.decode("ascii", errors="replace")
    if outer.tag != TAG_NUMBER or len(raw) != 12 or not text.isascii() or not text.isdigit():
        raise _malformed("個人番号")
    if check_digit(text[:11]) != int(text[11]):
        raise _malformed("個人番号の検査用数字")
    return text


# --- encoders (emulator, tests) -------------------------------------------------------------


def encode_basic_info(
    name: str,
    address: str,
    birth_date: str,
    sex: str,
    outer_form: LengthForm = "82",
) -> bytes:
    """EF 0002 as a card writes it; ``birth_date`` as on the card (YYYYMMDD)."""
    fields = [
        encode_tlv(TAG_NAME, name.encode("utf-8")),
        encode_tlv(TAG_ADDRESS, address.encode("utf-8")),
        encode_tlv(TAG_BIRTH_DATE, birth_date.encode("ascii")),
        encode_tlv(TAG_SEX, sex.encode("ascii")),
    ]
    offsets_size = 3 + 8  # DF21 08 + four u16
    content_size = offsets_size + sum(len(f) for f in fields)
    header = encode_tag(TAG_BASIC_INFO) + encode_length(content_size, outer_form)
    position = len(header) + offsets_size
    offsets = b""
    for encoded in fields:
        offsets += position.to_bytes(2, "big")
        position += len(encoded)
    return header + encode_tlv(TAG_OFFSETS, offsets) + b"".join(fields)


def encode_number(number: str) -> bytes:
    return encode_tlv(TAG_NUMBER, number.encode("ascii")) + b"\xff\xff"


def integrity_signed_data(number_file: bytes, basic_info_region: bytes) -> bytes:
    return encode_tlv(TAG_NUMBER_DIGEST, hashlib.sha256(number_file).digest()) + encode_tlv(
        TAG_BASIC_INFO_DIGEST, hashlib.sha256(basic_info_region).digest()
    )


def encode_integrity(signed_data: bytes, signature: bytes) -> bytes:
    content = signed_data + encode_tlv(TAG_SIGNATURE, signature, "82")
    return encode_tlv(TAG_INTEGRITY, content, "82")
