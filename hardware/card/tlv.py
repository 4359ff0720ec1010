"""BER-TLV as the card writes it: multi-byte tags, and every length form, minimal or not.

Real cards write ``82 00 65`` where ``65`` would do, so the parser accepts any definite length
(short, ``81``..``84``) and rejects only what cannot be a definite-length TLV. Every problem
raises :class:`CardDataMalformed`, nothing else.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from hardware.card.errors import CardDataMalformed

LengthForm = Literal["minimal", "short", "81", "82"]


def _malformed(what: str) -> CardDataMalformed:
    return CardDataMalformed(
        f"{what}。カードのデータを解釈できません。手入力で対応し、"
        "カードの破損の可能性をご本人に伝えてください。"
    )


class Tlv(NamedTuple):  # a NamedTuple: a read makes dozens, and these are cheap to create
    tag: int  # the tag bytes as one big-endian integer, e.g. 0xDF22
    start: int  # offset of the first tag byte in the buffer
    value_start: int
    end: int  # offset just past the value

    def value(self, buffer: bytes) -> bytes:
        return buffer[self.value_start : self.end]


# tuple.__new__ skips the keyword handling of the generated Tlv.__new__ (a Python function)
_new_tlv = tuple.__new__
_NO_LIMIT = 1 << 40  # as ``end``: a header whose value need not be in the buffer yet


def read_tlv(buffer: bytes, pos: int = 0, end: int | None = None) -> Tlv:
    """Read one TLV at ``pos`` whose value must end at or before ``end``.

    The tag and length are decoded inline: a read parses a dozen TLVs, and a call per part
    would cost more than the checks.
    """
    size = len(buffer)
    limit = size if end is None else end
    if pos >= size:
        raise _malformed("カードのデータが途中で終わっています (タグ)")
    tag = buffer[pos]
    cursor = pos + 1
    if tag & 0x1F == 0x1F:  # high tag number: continuation bytes while bit 8 is set
        while True:
            if cursor >= size or tag > 0xFFFFFF:
                raise _malformed("カードのデータのタグが不正です")
            byte = buffer[cursor]
            tag = (tag << 8) | byte
            cursor += 1
            if not byte & 0x80:
                break
    if cursor >= size:
        raise _malformed("カードのデータが途中で終わっています (長さ)")
    length = buffer[cursor]
    cursor += 1
    if length >= 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:  # 0x80 is the indefinite form, which the card never uses
            raise _malformed("カードのデータの長さの形式が不正です")
        if cursor + count > size:
            raise _malformed("カードのデータが途中で終わっています (長さ)")
        length = int.from_bytes(buffer[cursor : cursor + count], "big")
        cursor += count
    if cursor + length > limit:
        raise _malformed("カードのデータが途中で終わっています (値)")
    return _new_tlv(Tlv, (tag, pos, cursor, cursor + length))


def header_size(buffer: bytes) -> tuple[int, int]:
    """From the first bytes of a file: (tag, total size of the TLV including its header).

    Does not need the value to be present, so a reader can decide how much more to fetch.
    """
    header = read_tlv(buffer, 0, _NO_LIMIT)  # the value may lie beyond what was read so far
    return header.tag, header.end


def children_by_tag(buffer: bytes, parent: Tlv) -> dict[int, Tlv]:
    """The TLVs that fill ``parent``'s value exactly, by tag (a repeated tag is malformed)."""
    children: dict[int, Tlv] = {}
    pos, end = parent.value_start, parent.end
    while pos < end:
        child = read_tlv(buffer, pos, end)
        if child.tag in children:
            raise _malformed(f"カードのデータでタグ {child.tag:X} が重複しています")
        children[child.tag] = child
        pos = child.end
    return children


def encode_tag(tag: int) -> bytes:
    size = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(size, "big")


def encode_length(length: int, form: LengthForm = "minimal") -> bytes:
    if form == "82" or (form == "minimal" and length > 0xFF):
        if length > 0xFFFF:
            raise ValueError("length too large for the 82 form")
        return b"\x82" + length.to_bytes(2, "big")
    if form == "81" or (form == "minimal" and length > 0x7F):
        if length > 0xFF:
            return encode_length(length, "82")
        return bytes([0x81, length])
    if form == "short" and length > 0x7F:
        return encode_length(length, "minimal")
    return bytes([length])


def encode_tlv(tag: int, value: bytes, form: LengthForm = "minimal") -> bytes:
    return encode_tag(tag) + encode_length(len(value), form) + value
