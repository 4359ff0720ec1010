"""The reader's APDUs byte for byte (scripted fake card) and its outcomes (emulated card)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from hardware.card.emulator import DEFAULT_PROFILE, EmulatedCard, build_files, load_profile
from hardware.card.emulator import bundled_profile as profile
from hardware.card.errors import (
    CardDataMalformed,
    CardError,
    CardRemoved,
    IntegrityCheckFailed,
    InvalidPinFormat,
    LastTryRefused,
    NotMyNumberCard,
    PinBlocked,
    WrongPin,
)
from hardware.card.reader import parse_card_files, read_card, read_card_files
from hardware.card.transport import CountingTransport, ScriptedTransport

OK = bytes.fromhex("9000")
SELECT_AP = bytes.fromhex("00A4040C0AD3921000310001010408")
SELECT_PIN = bytes.fromhex("00A4020C020011")
TRIES = bytes.fromhex("00200080")
VERIFY_1234 = bytes.fromhex("002000800431323334")
SELECT_0002 = bytes.fromhex("00A4020C020002")
SELECT_0003 = bytes.fromhex("00A4020C020003")
SELECT_0001 = bytes.fromhex("00A4020C020001")


def files() -> dict[bytes, bytes]:
    return build_files(load_profile(DEFAULT_PROFILE))


def test_a_full_read_is_exactly_nine_apdus() -> None:
    f = files()
    card = ScriptedTransport(
        [
            (SELECT_AP, OK),
            (SELECT_PIN, OK),
            (TRIES, bytes.fromhex("63C3")),
            (VERIFY_1234, OK),
            (SELECT_0002, OK),
            (bytes.fromhex("00B0000000"), f[b"\x00\x02"] + OK),
            (SELECT_0003, OK),
            (bytes.fromhex("00B0000000"), f[b"\x00\x03"][:256] + OK),
            (bytes.fromhex("00B0010050"), f[b"\x00\x03"][256:] + OK),
        ]
    )
    result = read_card(card, "1234")
    assert card.finished
    assert result.to_json() == {
        "name": "黒桐\u3000幹也",
        "address": "東京都清瀬市観布子南１２－７－２０２",
        "birth_date": "1980-02-17",
        "sex": "1",
        "sex_label": "男",
        "integrity": "verified",
    }
    assert result.individual_number is None


def test_the_number_is_read_only_when_asked_and_masked_in_repr() -> None:
    f = files()
    card = ScriptedTransport(
        [
            (SELECT_AP, OK),
            (SELECT_PIN, OK),
            (TRIES, bytes.fromhex("63C3")),
            (VERIFY_1234, OK),
            (SELECT_0002, OK),
            (bytes.fromhex("00B0000000"), f[b"\x00\x02"] + OK),
            (SELECT_0001, OK),
            (bytes.fromhex("00B0000011"), f[b"\x00\x01"] + OK),
            (SELECT_0003, OK),
            (bytes.fromhex("00B0000000"), f[b"\x00\x03"][:256] + OK),
            (bytes.fromhex("00B0010050"), f[b"\x00\x03"][256:] + OK),
        ]
    )
    result = read_card(card, "1234", with_number=True)
    assert result.to_json(with_number=True)["individual_number"] == "123456789018"
    assert "individual_number" not in result.to_json()
    assert "123456789018" not in repr(result)
    assert result.masked_number == "************"


def test_debug_logging_shows_every_apdu_with_the_pin_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="hardware.card.reader"):
        read_card(EmulatedCard(profile("default")), "1234")
    lines = [
        record.getMessage() for record in caplog.records if record.name == "hardware.card.reader"
    ]
    assert len(lines) == 9
    assert lines[3] == "APDU 00 20 00 80 04 ** -> 9000 (2 bytes)"
    assert not any("31 32 33 34" in line or "1234" in line for line in lines)


def test_files_read_first_and_checked_after_give_the_same_result_and_hide_their_bytes() -> None:
    files = read_card_files(EmulatedCard(profile("default")), "1234", with_number=True)
    assert "123456789018" not in repr(files)
    assert "黒桐" not in repr(files)
    result = parse_card_files(files)
    assert result == read_card(EmulatedCard(profile("default")), "1234", with_number=True)
    assert result.individual_number == "123456789018"


def test_files_that_fail_the_digest_check_give_no_result() -> None:
    files = read_card_files(EmulatedCard(profile("wrong-digest")), "1234")
    with pytest.raises(IntegrityCheckFailed):
        parse_card_files(files)


def test_a_long_record_is_read_in_chunks_of_at_most_256() -> None:
    card = EmulatedCard(profile("long-address"))
    counting = CountingTransport(card)
    result = read_card(counting, "5678")
    assert len(card.files[b"\x00\x02"]) > 256
    assert counting.trace[5:7] == ["00 B0 00 00 00", "00 B0 01 00 4D"]
    assert result.address.endswith("北側の角部屋")


def test_already_verified_cards_are_not_sent_the_pin_again() -> None:
    card = ScriptedTransport(
        [(SELECT_AP, OK), (SELECT_PIN, OK), (TRIES, OK), (SELECT_0002, bytes.fromhex("6A82"))]
    )
    with pytest.raises(NotMyNumberCard):
        read_card(card, "1234")
    assert VERIFY_1234 not in card.sent


@pytest.mark.parametrize("tries_sw", ["63C1"])
def test_one_try_left_sends_no_pin(tries_sw: str) -> None:
    card = ScriptedTransport([(SELECT_AP, OK), (SELECT_PIN, OK), (TRIES, bytes.fromhex(tries_sw))])
    with pytest.raises(LastTryRefused) as caught:
        read_card(card, "1234")
    assert card.finished and caught.value.retries_left == 1
    assert caught.value.exit_code == 15


def test_one_try_left_is_used_when_allowed() -> None:
    card = EmulatedCard(profile("one-try-left"))
    result = read_card(card, "1234", allow_last_try=True)
    assert result.name == "黒桐\u3000鮮花"
    assert card.tries_left == 3  # a correct PIN resets the counter


@pytest.mark.parametrize("blocked_sw", ["63C0", "6984"])
def test_blocked_sends_no_pin(blocked_sw: str) -> None:
    card = ScriptedTransport(
        [(SELECT_AP, OK), (SELECT_PIN, OK), (TRIES, bytes.fromhex(blocked_sw))]
    )
    with pytest.raises(PinBlocked) as caught:
        read_card(card, "1234", allow_last_try=True)
    assert card.finished
    assert "マイナンバーカード窓口" in caught.value.message
    assert caught.value.exit_code == 14


def test_wrong_pin_says_how_many_tries_are_left() -> None:
    card = EmulatedCard(profile("default"))
    with pytest.raises(WrongPin) as caught:
        read_card(card, "9999")
    assert caught.value.retries_left == 2
    assert caught.value.to_body()["error"]["retries_left"] == 2
    assert "9999" not in caught.value.message


def test_the_third_wrong_pin_blocks_and_later_reads_send_nothing() -> None:
    card = EmulatedCard(profile("default"))
    for _ in range(2):
        with pytest.raises(WrongPin):
            read_card(card, "9999", allow_last_try=True)
    with pytest.raises(PinBlocked):
        read_card(card, "9999", allow_last_try=True)
    assert card.tries_left == 0
    with pytest.raises(PinBlocked):
        read_card(card, "1234", allow_last_try=True)


@pytest.mark.parametrize("pin", ["", "123", "12345", "abcd", "１２３４"])
def test_a_pin_that_is_not_four_digits_never_reaches_the_card(pin: str) -> None:
    card = ScriptedTransport([])
    with pytest.raises(InvalidPinFormat):
        read_card(card, pin)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("no-ap", NotMyNumberCard),
        ("corrupt-tlv", CardDataMalformed),
        ("wrong-digest", IntegrityCheckFailed),
        ("blocked", PinBlocked),
        ("one-try-left", LastTryRefused),
    ],
)
def test_each_faulty_profile_gives_its_error(name: str, error: type[CardError]) -> None:
    with pytest.raises(error):
        read_card(EmulatedCard(profile(name)), "1234")


def test_variant_ideographs_survive_the_read() -> None:
    result = read_card(EmulatedCard(profile("variant-ideographs")), "0000")
    assert result.name == "\u9ad9\ufa11\u3000\U00020bb7\ufa30"
    assert result.birth_date == dt.date(2000, 2, 29)
    assert (result.sex, result.sex_label) == ("9", "適用不能")


class DroppingTransport:
    def __init__(self, inner: EmulatedCard, after: int) -> None:
        self.inner, self.after, self.count = inner, after, 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        if self.count > self.after:
            raise CardRemoved()
        return self.inner.transmit(apdu)


@pytest.mark.parametrize("after", range(9))
def test_a_card_removed_at_any_point_gives_an_error_and_no_data(after: int) -> None:
    with pytest.raises(CardRemoved):
        read_card(DroppingTransport(EmulatedCard(profile("default")), after), "1234")
