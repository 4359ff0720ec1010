"""Fixtures for the guidance tests; builders live in guidance_builders.py."""

from __future__ import annotations

import pytest

from backend.guidance.catalog import CompiledCatalog, load_default_catalog


@pytest.fixture(scope="session")
def catalog() -> CompiledCatalog:
    return load_default_catalog()
