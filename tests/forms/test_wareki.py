import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.wareki import WarekiError, fiscal_year_label, parse_wareki, to_wareki, to_wareki_year


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(1912, 7, 29), "明治45年7月29日"),
        (dt.date(1912, 7, 30), "大正元年7月30日"),
        (dt.date(1926, 12, 24), "大正15年12月24日"),
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2026, 11, 24), "令和8年11月24日"),
    ],
)
def test_era_boundaries(day: dt.date, expected: str) -> None:
    assert to_wareki(day) == expected
    assert parse_wareki(expected) == day


def test_year_and_fiscal_year() -> None:
    assert to_wareki_year(dt.date(2019, 12, 31)) == "令和元年"
    assert fiscal_year_label(2026) == "令和8年度"
    assert fiscal_year_label(2019) == "令和元年度"
    assert fiscal_year_label(2018) == "平成30年度"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R1.5.1", dt.date(2019, 5, 1)),
        ("H31/4/30", dt.date(2019, 4, 30)),
        ("令和８年１１月２４日", dt.date(2026, 11, 24)),
        ("s64.1.7", dt.date(1989, 1, 7)),
    ],
)
def test_parse_variants(text: str, expected: dt.date) -> None:
    assert parse_wareki(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "平成31年5月1日",
        "昭和64年1月8日",
        "令和0年1月1日",
        "令和2年2月30日",
        "2019-05-01",
        "大正元年7月29日",
    ],
)
def test_parse_refuses_dates_that_do_not_exist(text: str) -> None:
    with pytest.raises(WarekiError):
        parse_wareki(text)


@given(st.dates(min_value=dt.date(1873, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_round_trip(day: dt.date) -> None:
    assert parse_wareki(to_wareki(day)) == day
