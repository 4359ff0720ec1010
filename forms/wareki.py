"""和暦 (Japanese era dates): date → 令和元年5月1日 and back.

Era first days: 明治 1868-01-25 (the Gregorian day the Meiji calendar is commonly mapped from;
dates before 1873 were lunisolar and are out of scope), 大正 1912-07-30, 昭和 1926-12-25,
平成 1989-01-08, 令和 2019-05-01. The first year of an era is written 元年.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    start: dt.date


ERAS: tuple[Era, ...] = (
    Era("令和", "R", dt.date(2019, 5, 1)),
    Era("平成", "H", dt.date(1989, 1, 8)),
    Era("昭和", "S", dt.date(1926, 12, 25)),
    Era("大正", "T", dt.date(1912, 7, 30)),
    Era("明治", "M", dt.date(1868, 1, 25)),
)
_BY_NAME = {era.name: era for era in ERAS} | {era.letter: era for era in ERAS}
FIRST_DAY = ERAS[-1].start  # the first day any date here can be written in 和暦


class WarekiError(ValueError):
    """A date outside the supported eras, or text that is not a 和暦 date."""


def era_of(day: dt.date) -> Era:
    for era in ERAS:
        if day >= era.start:
            return era
    raise WarekiError(f"{day.isoformat()} は明治より前の日付です")


def era_end(era: Era) -> dt.date | None:
    """The last day of ``era`` (None for the current one)."""
    index = ERAS.index(era)
    return ERAS[index - 1].start - dt.timedelta(days=1) if index else None


def era_year(day: dt.date) -> tuple[Era, int]:
    era = era_of(day)
    return era, day.year - era.start.year + 1


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def to_wareki(day: dt.date) -> str:
    """1989-01-08 → 平成元年1月8日."""
    era, year = era_year(day)
    return f"{era.name}{_year_text(year)}年{day.month}月{day.day}日"


def to_wareki_year(day: dt.date) -> str:
    """The era year alone: 2019-05-01 → 令和元年."""
    era, year = era_year(day)
    return f"{era.name}{_year_text(year)}年"


def fiscal_year_label(year: int) -> str:
    """The 年度 starting in April of ``year``: 2026 → 令和8年度.

    Fiscal 2019 began under 平成 (April) but municipalities write 令和元年度, so the 年度 is named
    by the era in force on 1 May of its year.
    """
    era, era_year_number = era_year(dt.date(year, 5, 1))
    return f"{era.name}{_year_text(era_year_number)}年度"


# [0-9], not \d: Python's \d also matches other scripts' digits, the screens' JavaScript does not.
_PATTERN = re.compile(
    r"^\s*(?P<era>明治|大正|昭和|平成|令和|[MTSHRmtshr])\.?\s*(?P<year>元|[0-9]{1,3})\s*[年./-]\s*"
    r"(?P<month>[0-9]{1,2})\s*[月./-]\s*(?P<day>[0-9]{1,2})\s*日?\s*$"
)
_GREGORIAN = re.compile(
    r"^\s*(?P<year>[0-9]{4})\s*[年./-]\s*(?P<month>[0-9]{1,2})\s*[月./-]\s*(?P<day>[0-9]{1,2})\s*日?\s*$"
)
_HALF_WIDTH = str.maketrans("０１２３４５６７８９．／－", "0123456789./-")


def parse_wareki(text: str) -> dt.date:
    """令和元年5月1日, R1.5.1, H31/4/30, 昭和64年1月7日 → a date.

    Full-width digits are accepted. A date outside its era (平成31年5月1日, 昭和64年1月8日) is
    refused, as it does not exist.
    """
    normalized = text.translate(_HALF_WIDTH)
    match = _PATTERN.match(normalized)
    if not match:
        raise WarekiError(f"和暦の日付として読めません: {text}")
    era = _BY_NAME[match["era"].upper() if len(match["era"]) == 1 else match["era"]]
    year = 1 if match["year"] == "元" else int(match["year"])
    if year < 1:
        raise WarekiError(f"年が正しくありません: {text}")
    try:
        day = dt.date(era.start.year + year - 1, int(match["month"]), int(match["day"]))
    except ValueError as exc:
        raise WarekiError(f"存在しない日付です: {text}") from exc
    if era_of(day) is not era:
        raise WarekiError(f"{text} は{era.name}の期間外です")
    return day


def parse_date(text: str) -> dt.date:
    """A typed date, as the staff screen takes it: 和暦 (see ``parse_wareki``) or Gregorian
    (2019-04-30, 2019/4/30, 2019.4.30, 2019年4月30日; full-width digits accepted).

    Only days from the first day of 明治 on, since only those can be printed in 和暦 on a form.
    kiosk/static/staff/staff.js implements the same rule from the era table that
    ``GET /api/v1/schemas/lists.json`` publishes; tests/e2e/test_date_input.py holds them equal.
    """
    match = _GREGORIAN.match(text.translate(_HALF_WIDTH))
    if not match:
        if _PATTERN.match(text.translate(_HALF_WIDTH)):
            return parse_wareki(text)
        raise WarekiError(f"日付として読めません: {text}")
    try:
        day = dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError as exc:
        raise WarekiError(f"存在しない日付です: {text}") from exc
    era_of(day)  # refuses a day before 明治
    return day
