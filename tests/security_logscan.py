"""pytest plugin: every log record of the run goes to ``var/test-logs/``; at the end the file
is scanned for the synthetic personal data the tests use, for 12-digit runs (個人番号), for SQL
parameter dumps and for personal data or tokens in query strings.

The handler carries the production filter (``MaskPersonalDataFilter``), so the file is what an
operator's log would hold. Synthetic data: the personal fields (names, kana, addresses, phone
numbers) of every JSON file under ``tests/data/``, plus ``tests/data/synthetic-personal-data.txt``
(one string per line) for values tests write inline. A hit fails the run.

Registered from tests/conftest.py (``pytest_plugins``). (The login throttles count rows of
the test's own database, so tests never see each other's failures.)
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.platform.logging_setup import MaskPersonalDataFilter

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
LOG_DIR = ROOT / "var" / "test-logs"
PERSONAL_KEYS = {
    "name", "kana", "address", "previous_address", "new_address", "household_head", "phone",
    "birth_date", "individual_number", "resident_code",
}  # fmt: skip
TWELVE_DIGITS = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")
ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")  # a 住民票コード
# SQL parameter dumps: SQLAlchemy's "[parameters: …]", PostgreSQL's "DETAIL:  Key (…)=(…)", and
# a logged statement with a value written into it (a quoted literal of digits or non-ASCII).
SQL_DUMPS = re.compile(
    r"\[parameters: |DETAIL:\s+Key \(|\[SQL: [^\]]*'[^']*(?:[^\x00-\x7f]|\d{4})[^']*'"
)
# A query string carrying personal data or a token (the access log logs paths only).
QUERY_VALUES = re.compile(
    r"[?&](?:name|kana|address|birth_date|phone|resident_code|individual_number|token)=",
    re.IGNORECASE,
)
_state: dict[str, Any] = {}


# Maps whose values say where a field came from ("card", "resident"), keyed by field name.
SOURCE_MAPS = {"field_sources", "fact_sources"}


def _personal_values(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in SOURCE_MAPS:
                yield from _personal_values(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _personal_values(item, key)
    elif isinstance(value, str) and key in PERSONAL_KEYS and len(value) >= 2:
        yield value


def synthetic_strings() -> set[str]:
    found: set[str] = set()
    for path in DATA.rglob("*.json"):
        try:
            found.update(_personal_values(json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, UnicodeDecodeError):
            continue
    extra = DATA / "synthetic-personal-data.txt"
    if extra.exists():
        lines = extra.read_text(encoding="utf-8").splitlines()
        found.update(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    # Single family names would also match the staff's own; full values only.
    return {value for value in found if len(value) >= 3}


def scan_sql_and_queries(text: str) -> list[str]:
    hits = [f"SQL parameter dump {m.group(0)[:20]!r}…" for m in SQL_DUMPS.finditer(text)]
    hits += [f"query string value {m.group(0)!r}" for m in QUERY_VALUES.finditer(text)]
    return hits


def scan(text: str, needles: set[str]) -> list[str]:
    hits = [f"synthetic personal data {needle!r}" for needle in sorted(needles) if needle in text]
    hits += [f"12-digit number {m.group(0)[:2]}…" for m in TWELVE_DIGITS.finditer(text)]
    hits += [f"11-digit number {m.group(0)[:2]}…" for m in ELEVEN_DIGITS.finditer(text)]
    return hits + scan_sql_and_queries(text)


def pytest_configure(config: pytest.Config) -> None:
    # One run id for this process and any it starts with its environment: the scan reads the
    # logs of this run and none of an earlier one.
    run = os.environ.setdefault("MADOGUCHI_TEST_RUN", f"{os.getpid()}")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    path = LOG_DIR / f"pytest-{run}-{os.getpid()}.log"
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPersonalDataFilter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.DEBUG or root.level == logging.NOTSET:
        root.setLevel(logging.DEBUG)
    _state.update(handler=handler, path=path)


@pytest.fixture(autouse=True)
def _capture() -> None:
    # ``configure_logging`` (run by CLI commands under test) replaces the root handlers.
    handler = _state.get("handler")
    root = logging.getLogger()
    if handler is not None and handler not in root.handlers:
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    handler: logging.Handler | None = _state.get("handler")
    path: Path | None = _state.get("path")
    if handler is None or path is None:
        return
    handler.flush()
    run = os.environ["MADOGUCHI_TEST_RUN"]
    needles = synthetic_strings()
    hits = [
        f"{log.name}: {hit}"
        for log in sorted(LOG_DIR.glob(f"pytest-{run}-*.log"))
        for hit in scan(log.read_text(encoding="utf-8", errors="replace"), needles)
    ]
    if hits:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"personal data found in the test logs ({LOG_DIR}):\n  " + "\n  ".join(hits[:20])
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
