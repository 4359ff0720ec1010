"""A catalog is parsed once per process, even when many requests ask for it at the same
moment (a municipality's first visits of the day): the others wait for the first parse."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from backend.guidance import service
from backend.guidance.catalog import parse_catalog


@pytest.fixture
def counted_parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    parsed: list[str] = []

    def counting(source: str, origin: str) -> object:
        parsed.append(origin)
        return parse_catalog(source, origin)

    monkeypatch.setattr(service, "parse_catalog", counting)
    monkeypatch.setattr(service, "_cache", type(service._cache)())
    yield parsed


def test_sixteen_threads_asking_for_one_catalog_at_once_parse_it_once(
    counted_parses: list[str],
) -> None:
    start = threading.Barrier(16)
    found: list[object] = []

    def first_visit() -> None:
        start.wait()
        found.append(service._default())

    threads = [threading.Thread(target=first_visit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(counted_parses) == 1
    assert len(found) == 16 and all(catalog is found[0] for catalog in found)
