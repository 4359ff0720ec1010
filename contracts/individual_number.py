"""The 個人番号 (My Number) check digit: one pure function for the card reader and the server.

番号法施行令 第8条 (総務省令 第5条): the twelfth digit is computed from the first eleven, so a
mistyped or misread number is caught before it is kept or used.
"""

from __future__ import annotations


def check_digit(first_eleven: str) -> int:
    """The twelfth digit of a 個人番号 whose first eleven digits are ``first_eleven``."""
    total = 0
    for n, digit in enumerate(reversed(first_eleven), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(digit) * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_individual_number(number: str) -> bool:
    """Twelve ASCII digits whose last one is the check digit of the first eleven."""
    return (
        len(number) == 12
        and number.isascii()
        and number.isdigit()
        and check_digit(number[:11]) == int(number[11])
    )
