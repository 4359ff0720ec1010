"""The one 個人番号 check digit, shared by the card reader and the server (synthetic numbers)."""

from __future__ import annotations

import pytest

from contracts.individual_number import check_digit, is_valid_individual_number


@pytest.mark.parametrize(
    ("first_eleven", "digit"),
    [("12345678901", 8), ("00000000000", 0), ("00000000001", 9), ("00000000010", 8)],
)
def test_check_digit(first_eleven: str, digit: int) -> None:
    assert check_digit(first_eleven) == digit


def test_exactly_one_last_digit_validates() -> None:
    first = "31415926535"
    valid = [d for d in "0123456789" if is_valid_individual_number(first + d)]
    assert valid == [str(check_digit(first))]


@pytest.mark.parametrize(
    "number",
    ["12345678901", "1234567890189", "12345678901a", "１２３４５６７８９０１８", ""],
)
def test_malformed_numbers_are_invalid(number: str) -> None:
    assert not is_valid_individual_number(number)


def test_the_card_reader_and_the_server_use_this_function() -> None:
    from backend.counter import individual_number
    from hardware.card import records

    assert records.check_digit is check_digit
    assert individual_number.is_valid_individual_number is is_valid_individual_number
