"""EF 0002 / EF 0003 / EF 0001 against the bytes of jpki.md."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from hardware.card.errors import CardDataMalformed, IntegrityCheckFailed
from hardware.card.records import (
    check_digit,
    encode_basic_info,
    encode_integrity,
    encode_number,
    integrity_signed_data,
    parse_basic_info,
    parse_integrity,
    parse_number,
    verify_basic_info,
    verify_number,
)

# The worked example of jpki.md (JPKI test card, synthetic holder), short outer form.
JPKI_EXAMPLE = bytes.fromhex(
    "ff2065"
    "df2108000e002000590064"
    "df220fe9bb92e6a190e38080e5b9b9e4b99f"
    "df2336e69db1e4baace983bde6b885e780ace5b882e8a6b3e5b883e5ad90e58d97"
    "efbc91efbc92efbc8defbc97efbc8defbc92efbc90efbc92"
    "df24083139383030323137"
    "df250131"
)
NAME = "黒桐\u3000幹也"
ADDRESS = "東京都清瀬市観布子南１２－７－２０２"


def test_the_jpki_example_parses() -> None:
    info = parse_basic_info(JPKI_EXAMPLE)
    assert info.name == NAME
    assert info.address == ADDRESS
    assert info.birth_date == dt.date(1980, 2, 17)
    assert (info.sex, info.sex_label) == ("1", "男")
    assert info.digest_region == JPKI_EXAMPLE[14:]


def test_the_encoder_reproduces_the_jpki_example_byte_for_byte() -> None:
    assert encode_basic_info(NAME, ADDRESS, "19800217", "1", "short") == JPKI_EXAMPLE


def test_the_long_form_header_shifts_the_offsets() -> None:
    encoded = encode_basic_info(NAME, ADDRESS, "19800217", "1")
    assert encoded[:16] == bytes.fromhex("ff20820065df210800100022005b0066")
    assert parse_basic_info(encoded + b"\xff" * 30).name == NAME


def test_offsets_that_do_not_match_are_malformed() -> None:
    broken = bytearray(JPKI_EXAMPLE)
    broken[6] += 1  # DF21's first offset no longer points at DF22
    with pytest.raises(CardDataMalformed):
        parse_basic_info(bytes(broken))


@pytest.mark.parametrize(
    ("birth", "sex"), [("19800230", "1"), ("1980021", "1"), ("1980O217", "1"), ("19800217", "3")]
)
def test_impossible_dates_and_sex_codes_are_malformed(birth: str, sex: str) -> None:
    with pytest.raises(CardDataMalformed):
        parse_basic_info(encode_basic_info(NAME, ADDRESS, birth, sex))


def test_sex_labels() -> None:
    labels = {
        sex: parse_basic_info(encode_basic_info(NAME, ADDRESS, "19800217", sex)).sex_label
        for sex in ("1", "2", "9")
    }
    assert labels == {"1": "男", "2": "女", "9": "適用不能"}


def test_text_is_kept_code_point_for_code_point() -> None:
    name = "\u9ad9\ufa11\u3000\U00020bb7\ufa30"  # 髙 﨑 𠮷 and U+FA30, which NFC rewrites
    info = parse_basic_info(encode_basic_info(name, ADDRESS, "19800217", "1"))
    assert [hex(ord(c)) for c in info.name] == [hex(ord(c)) for c in name]
    assert info.unusual_characters() == []


def test_private_use_characters_are_carried_and_flagged() -> None:
    name = "黒桐\u3000\ue000也"
    info = parse_basic_info(encode_basic_info(name, ADDRESS, "19800217", "1"))
    assert info.name == name
    assert info.unusual_characters() == ["U+E000"]


def test_text_that_is_not_utf8_is_malformed() -> None:
    broken = JPKI_EXAMPLE.replace(bytes.fromhex("e9bb92"), bytes.fromhex("ffbb92"))
    with pytest.raises(CardDataMalformed):
        parse_basic_info(broken)


def test_integrity_record_is_336_bytes_and_checks_df32() -> None:
    number_file = encode_number("123456789018")
    info = parse_basic_info(JPKI_EXAMPLE)
    signed = integrity_signed_data(number_file, info.digest_region)
    encoded = encode_integrity(signed, b"\x00" * 256)
    assert len(encoded) == 336
    assert encoded[:5] == bytes.fromhex("ff3082014b")
    record = parse_integrity(encoded)
    assert record.basic_info_digest == hashlib.sha256(JPKI_EXAMPLE[14:]).digest()
    verify_basic_info(info, record)
    verify_number(number_file, record)
    other = parse_basic_info(encode_basic_info(NAME, ADDRESS, "19800218", "1"))
    with pytest.raises(IntegrityCheckFailed):
        verify_basic_info(other, record)


def test_the_number_file() -> None:
    stored = encode_number("123456789018")
    assert stored.hex() == "ff100c313233343536373839303138ffff"
    assert parse_number(stored) == "123456789018"
    assert check_digit("12345678901") == 8
    with pytest.raises(CardDataMalformed):
        parse_number(encode_number("123456789012"))  # wrong check digit
