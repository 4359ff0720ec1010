"""Rules carry valid_from / valid_until: the engine uses the rules in force on the event date,
and the catalog diff shows rules that start or end."""

from __future__ import annotations

import datetime as dt

import pytest
from guidance_builders import person, visit

from backend.guidance.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from backend.guidance.engine import evaluate
from backend.guidance.errors import CatalogInvalid
from backend.guidance.service import rule_dates

DATED = """\
catalog: {id: t, version: "1", title: test}
departments: [{id: d, name: 市民課}]
counters: [{id: c, name: 窓口, department: d, floor: 1, order: 1}]
procedures:
  - id: old-rule
    name: 旧制度の届出
    department: d
    counter: c
    rules:
      - {reason: 旧制度のため, valid_until: 2025-03-31}
  - id: new-rule
    name: 新制度の届出
    department: d
    counter: c
    rules:
      - {reason: 新制度のため, valid_from: 2025-04-01}
"""


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 3, 31), ["old-rule"]),
        (dt.date(2025, 4, 1), ["new-rule"]),
    ],
)
def test_the_rules_in_force_on_the_event_date_apply(day: dt.date, expected: list[str]) -> None:
    catalog = parse_catalog(DATED)
    record = visit("moving-in", [person("世帯主", "1990-01-01")], event_date=day)
    assert [p.id for p in evaluate(record, catalog).procedures] == expected


def test_dates_out_of_order_are_refused_with_the_line() -> None:
    text = DATED.replace(
        "valid_from: 2025-04-01", "valid_from: 2025-04-01, valid_until: 2025-01-01"
    )
    with pytest.raises(CatalogInvalid) as caught:
        parse_catalog(text)
    (issue,) = caught.value.issues
    assert "valid_until" in issue.message and issue.line == 16


def test_the_diff_shows_rules_that_start_or_end() -> None:
    base = parse_catalog(DATED).spec
    ended = DATED.replace(
        "valid_from: 2025-04-01", "valid_from: 2025-04-01, valid_until: 2027-03-31"
    )
    found = rule_dates(base, parse_catalog(ended).spec)
    assert [(r.procedure, r.valid_until, r.changed) for r in found] == [
        ("old-rule", dt.date(2025, 3, 31), False),
        ("new-rule", dt.date(2027, 3, 31), True),
    ]


def test_the_sample_catalog_dates_the_child_allowance_change() -> None:
    sample = parse_catalog(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")).spec
    found = rule_dates(sample, sample)
    assert {
        ("child-allowance", dt.date(2024, 10, 1), None),
        ("child-allowance", None, dt.date(2024, 9, 30)),
    } <= {(r.procedure, r.valid_from, r.valid_until) for r in found}
    assert not any(r.changed for r in found)
