"""The 個人番号 (My Number) check digit: one pure function for the card reader and the server.

番号法施行令 第8条 (総務省令 第5条): the twelfth digit is computed from the first eleven, so a
mistyped or misread number is caught before it is kept or used.
"""

from __future__ import annotations

import re
import unicodedata


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


# Between the digits of a typed number: spaces (also full-width) and the hyphens and dashes a
# clerk's keyboard or IME gives (full-width digits and hyphens are folded by NFKC first).
_SEPARATORS = " \u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70"
_DIGIT_RUN = re.compile(rf"[0-9]+(?:[{re.escape(_SEPARATORS)}]+[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")


def contains_individual_number(text: str) -> bool:
    """True if ``text`` holds a valid 個人番号: twelve digits with a correct check digit,
    written plainly, in full-width digits, or in groups split by spaces or hyphens
    (``1234 5678 9018``, ``１２３４－５６７８－９０１８``). Twelve digits inside a longer
    unbroken run of digits are another number and do not count; a wrong check digit does not
    count either (most 12-digit numbers are not a 個人番号)."""
    folded = unicodedata.normalize("NFKC", text)
    for run in _DIGIT_RUN.finditer(folded):
        groups = _GROUP.findall(run.group())
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) >= 12:
                    break
            if len(digits) == 12 and is_valid_individual_number(digits):
                return True
    return False
