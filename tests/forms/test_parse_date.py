"""``forms.wareki.parse_date``: the dates a clerk may type (the staff screen keeps the same rule,
tests/e2e/test_date_input.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from forms.wareki import WarekiError, parse_date
from tests.helpers.dates import DATE_INPUTS


@pytest.mark.parametrize(("text", "expected"), DATE_INPUTS)
def test_parse_date(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(WarekiError):
            parse_date(text)
    else:
        assert parse_date(text) == dt.date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("令和1年4月30日", "令和1年4月30日 は令和の期間外です"),
        ("平成32年", "日付として読めません: 平成32年"),
        ("1868-01-24", "1868-01-24 は明治より前の日付です"),
        ("2019-02-29", "存在しない日付です: 2019-02-29"),
        ("令和0年1月1日", "年が正しくありません: 令和0年1月1日"),
    ],
)
def test_refusal_messages(text: str, message: str) -> None:
    with pytest.raises(WarekiError) as refused:
        parse_date(text)
    assert str(refused.value) == message


def test_other_scripts_digits_are_not_read() -> None:
    """``[0-9]``, not ``\\d``: the screen's JavaScript reads only ASCII (and full-width) digits."""
    with pytest.raises(WarekiError):
        parse_date("令和٣年1月1日")
