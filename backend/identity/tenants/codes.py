"""全国地方公共団体コード (JIS X 0402): 2-digit prefecture, 3-digit municipality, check digit."""

from __future__ import annotations

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    """Weights 6,5,4,3,2 on the five digits; check = (11 − sum mod 11) mod 10."""
    if len(first_five) != 5 or not first_five.isdigit():
        raise ValueError("five digits expected")
    total = sum(int(digit) * weight for digit, weight in zip(first_five, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_local_government_code(code: str) -> bool:
    return (
        len(code) == 6
        and code.isascii()
        and code.isdigit()
        and int(code[:2]) >= 1
        and check_digit(code[:5]) == int(code[5])
    )
