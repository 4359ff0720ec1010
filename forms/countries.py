"""Country and region names in Japanese, as printed on forms (ブラジル, not BR).

The record keeps the ISO 3166-1 alpha-2 code; the paper shows the name. The table is data
(``country_names_ja.json``), one entry for every alpha-2 code, so a municipality can follow
its own 住民票 spelling by editing it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

NAMES_FILE = Path(__file__).parent / "country_names_ja.json"


@cache
def country_names() -> dict[str, str]:
    data = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    names: dict[str, str] = data["names"]
    return names


def country_name(code: str) -> str:
    """The Japanese name of ISO code ``code``; an unknown code is printed as given."""
    return country_names().get(code.upper(), code)
