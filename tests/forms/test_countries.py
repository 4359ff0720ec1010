"""Nationality on paper: every ISO 3166-1 alpha-2 code has a Japanese name."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest

from forms.countries import country_name, country_names

# Debian's iso-codes lists the standard; the table must cover it exactly when it is installed.
ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")


def test_every_code_has_a_japanese_name() -> None:
    names = country_names()
    assert len(names) == 249
    for code, name in names.items():
        assert len(code) == 2 and set(code) <= set(string.ascii_uppercase), code
        assert name and not any(c in string.ascii_letters for c in name), (code, name)
    assert len(set(names.values())) == len(names), "two codes share a name"


@pytest.mark.skipif(not ISO_CODES.is_file(), reason="iso-codes not installed")
def test_the_table_covers_iso_3166_1_exactly() -> None:
    standard = {c["alpha_2"] for c in json.loads(ISO_CODES.read_text("utf-8"))["3166-1"]}
    assert set(country_names()) == standard


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("BR", "ブラジル"),
        ("JP", "日本"),
        ("CN", "中国"),
        ("KR", "韓国"),
        ("VN", "ベトナム"),
        ("PH", "フィリピン"),
        ("NP", "ネパール"),
        ("US", "アメリカ合衆国"),
        ("GB", "英国"),
        ("TW", "台湾"),
        ("TR", "トルコ"),
        ("CZ", "チェコ"),
    ],
)
def test_names_as_printed(code: str, name: str) -> None:
    assert country_name(code) == name


def test_lower_case_and_unknown_codes() -> None:
    assert country_name("br") == "ブラジル"
    assert country_name("XX") == "XX"  # printed as given, never a wrong country
