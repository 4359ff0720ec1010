"""BER-TLV: every length form, and random bytes only ever raise the malformed-data error."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.card.errors import CardDataMalformed
from hardware.card.records import encode_basic_info, parse_basic_info, parse_integrity
from hardware.card.tlv import children_by_tag, encode_length, header_size, read_tlv


@pytest.mark.parametrize(
    ("encoded", "length"),
    [
        (b"\x65", 0x65),
        (b"\x81\x65", 0x65),  # non-minimal
        (b"\x82\x00\x65", 0x65),  # non-minimal, as real cards write EF 0002
        (b"\x81\xc8", 200),
        (b"\x82\x01\x4b", 331),
        (b"\x83\x00\x00\x05", 5),
        (b"\x84\x00\x00\x00\x05", 5),
    ],
)
def test_every_definite_length_form_is_accepted(encoded: bytes, length: int) -> None:
    buffer = b"\xdf\x22" + encoded + b"x" * length
    tlv = read_tlv(buffer)
    assert (tlv.tag, tlv.end - tlv.value_start, tlv.end) == (0xDF22, length, len(buffer))


@pytest.mark.parametrize(
    "buffer",
    [
        b"",
        b"\xff",  # multi-byte tag cut short
        b"\xff\x20",  # no length
        b"\xff\x20\x80",  # indefinite length
        b"\xff\x20\x85\x00\x00\x00\x00\x01",  # five length bytes
        b"\xff\x20\x82\x00",  # length cut short
        b"\xff\x20\x05abc",  # value cut short
        b"\xdf\xa2\x82\x83\x84\x85\x86",  # tag that never ends
    ],
)
def test_broken_headers_are_malformed(buffer: bytes) -> None:
    with pytest.raises(CardDataMalformed):
        read_tlv(buffer)


def test_header_size_needs_only_the_header() -> None:
    assert header_size(b"\xff\x30\x82\x01\x4b") == (0xFF30, 336)
    assert header_size(b"\xff\x20\x65") == (0xFF20, 104)


def test_encode_length_forms() -> None:
    assert encode_length(0x65, "82") == b"\x82\x00\x65"
    assert encode_length(0x65, "81") == b"\x81\x65"
    assert encode_length(0x65, "short") == b"\x65"
    assert encode_length(200) == b"\x81\xc8"
    assert encode_length(300) == b"\x82\x01\x2c"


text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # any code point UTF-8 can carry
    max_size=90,
)
dates = st.dates().map(lambda d: d.strftime("%Y%m%d")).filter(lambda s: len(s) == 8)


@given(
    name=text,
    address=text,
    birth=dates,
    sex=st.sampled_from(["1", "2", "9"]),
    form=st.sampled_from(["82", "81", "short", "minimal"]),
    filler=st.binary(max_size=20),
)
def test_valid_records_round_trip(
    name: str, address: str, birth: str, sex: str, form: str, filler: bytes
) -> None:
    encoded = encode_basic_info(name, address, birth, sex, form)  # type: ignore[arg-type]
    info = parse_basic_info(encoded + filler)
    assert (info.name, info.address, info.birth_date.strftime("%Y%m%d"), info.sex) == (
        name,
        address,
        birth,
        sex,
    )


@given(st.binary(max_size=400))
def test_random_bytes_only_raise_malformed(data: bytes) -> None:
    for parse in (parse_basic_info, parse_integrity):
        with contextlib.suppress(CardDataMalformed):
            parse(data)


@given(st.binary(min_size=1, max_size=60), st.integers(min_value=0, max_value=200))
def test_mutated_records_only_raise_malformed(noise: bytes, position: int) -> None:
    encoded = bytearray(encode_basic_info("黒桐　幹也", "東京都", "19800217", "1"))
    position %= len(encoded)
    encoded[position : position + len(noise)] = noise
    with contextlib.suppress(CardDataMalformed):
        parse_basic_info(bytes(encoded))


def test_children_by_tag_rejects_a_repeated_tag_and_keeps_positions() -> None:
    record = b"\xff\x20\x09\xdf\x22\x01a\xdf\x23\x82\x00\x00"
    children = children_by_tag(record, read_tlv(record))
    assert {tag: (tlv.start, tlv.value_start, tlv.end) for tag, tlv in children.items()} == {
        0xDF22: (3, 6, 7),
        0xDF23: (7, 12, 12),
    }
    repeated = b"\xff\x20\x08\xdf\x22\x01a\xdf\x22\x01b"
    with pytest.raises(CardDataMalformed, match="DF22"):
        children_by_tag(repeated, read_tlv(repeated))
