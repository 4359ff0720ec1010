"""Typed dates and what the server makes of them: one table for the unit test of
``forms.wareki.parse_date`` and the browser test of the staff screen."""

from __future__ import annotations

# (typed text, the ISO day it means, or None when it is refused)
DATE_INPUTS: tuple[tuple[str, str | None], ...] = (
    ("平成31年4月30日", "2019-04-30"),  # the last day of 平成
    ("令和元年5月1日", "2019-05-01"),  # the first day of 令和
    ("R8.12.3", "2026-12-03"),
    ("令和8年12月3日", "2026-12-03"),
    ("h1/1/8", "1989-01-08"),
    ("R２．４．１", "2020-04-01"),  # full-width digits
    ("Ｒ2.4.1", None),  # but not a full-width era letter
    ("2019-04-30", "2019-04-30"),
    ("2026年12月3日", "2026-12-03"),
    ("M1.1.25", "1868-01-25"),  # the first day 和暦 is written from
    ("令和1年4月30日", None),  # before 令和 began
    ("平成31年5月1日", None),  # after 平成 ended
    ("平成32年1月1日", None),
    ("平成32年", None),  # no month and day
    ("昭和64年1月8日", None),
    ("令和0年1月1日", None),
    ("令和2年2月30日", None),
    ("2019-02-29", None),
    ("1868-01-24", None),  # before 明治
    ("X1.1.1", None),
    ("R1234.1.1", None),  # at most three digits of era year
)
