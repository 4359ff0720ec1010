"""The emulated card's status words, retry counter, blocking and power states."""

from __future__ import annotations

from hardware.card.emulator import EmulatedCard
from hardware.card.emulator import bundled_profile as profile

SELECT_AP = bytes.fromhex("00A4040C0AD3921000310001010408")
SELECT_PIN = bytes.fromhex("00A4020C020011")
SELECT_0002 = bytes.fromhex("00A4020C020002")
TRIES = bytes.fromhex("00200080")


def verify(pin: str) -> bytes:
    return bytes.fromhex("0020008004") + pin.encode()


def at_pin(card: EmulatedCard) -> EmulatedCard:
    assert card.transmit(SELECT_AP).hex() == "9000"
    assert card.transmit(SELECT_PIN).hex() == "9000"
    return card


def test_wrong_aids_and_channels_are_refused() -> None:
    card = EmulatedCard(profile("default"))
    assert card.transmit(bytes.fromhex("00A4040C0AD3921000000100010408")).hex() == "6a82"
    assert card.transmit(bytes.fromhex("00A4040C07D392F000260101")).hex() == "6a82"
    assert card.transmit(bytes.fromhex("01A4040C0AD3921000310001010408")).hex() == "6881"
    assert card.transmit(SELECT_PIN).hex() == "6a82"  # no AP selected yet
    assert card.transmit(bytes.fromhex("00A4000C020002")).hex() == "6a86"


def test_empty_verify_reports_tries_without_consuming_them() -> None:
    card = at_pin(EmulatedCard(profile("default")))
    assert card.transmit(TRIES).hex() == "63c3"
    assert card.transmit(TRIES).hex() == "63c3"
    assert card.transmit(verify("0000")).hex() == "63c2"
    assert card.transmit(TRIES).hex() == "63c2"
    assert card.transmit(verify("1234")).hex() == "9000"
    assert card.tries_left == 3
    assert card.transmit(TRIES).hex() == "9000"


def test_three_wrong_pins_block() -> None:
    card = at_pin(EmulatedCard(profile("default")))
    assert [card.transmit(verify("0000")).hex() for _ in range(3)] == ["63c2", "63c1", "63c0"]
    assert card.transmit(verify("1234")).hex() == "6984"
    assert card.transmit(TRIES).hex() == "6984"


def test_reading_needs_the_pin_and_power_off_forgets_it() -> None:
    card = at_pin(EmulatedCard(profile("default")))
    card.transmit(SELECT_0002)
    assert card.transmit(bytes.fromhex("00B0000000")).hex() == "6982"
    card.transmit(SELECT_PIN)
    card.transmit(verify("1234"))
    card.transmit(SELECT_0002)
    content = card.transmit(bytes.fromhex("00B0000000"))
    assert content[:5].hex() == "ff20820065" and content[-2:].hex() == "9000"
    assert card.transmit(bytes.fromhex("00B0006A10")).hex() == "6b00"  # past the end
    card.reset()  # warm reset: still verified
    at_pin(card).transmit(SELECT_0002)
    assert card.transmit(bytes.fromhex("00B0000004")).hex() == "ff2082009000"
    card.power_off()
    at_pin(card).transmit(SELECT_0002)
    assert card.transmit(bytes.fromhex("00B0000004")).hex() == "6982"
