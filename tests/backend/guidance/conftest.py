"""Fixtures for the guidance tests; builders live in guidance_builders.py."""

from __future__ import annotations

import pytest

from backend.guidance.catalog import CompiledCatalog, load_default_catalog


@pytest.fixture(scope="session")
def catalog() -> CompiledCatalog:
    return load_default_catalog()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many questions each household scenario (test_scenarios.py) leaves open.

    The scenarios record ``open_questions`` with ``record_property``; reports of every outcome
    (passed, failed, xfailed, xpassed) are read so that the count shows in a plain ``pytest -q``.
    """
    counts: dict[str, tuple[int, int]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            properties = dict(getattr(report, "user_properties", ()))
            if "open_questions" in properties:
                counts[str(properties["scenario"])] = (
                    int(properties["open_questions"]),
                    int(properties.get("questions_before_answers", -1)),
                )
    if not counts:
        return
    terminalreporter.section("guidance scenarios: open questions")
    for scenario, (still_open, before) in sorted(counts.items()):
        terminalreporter.write_line(
            f"{scenario}: {still_open} open questions ({before} before any answer)"
        )
    total = sum(still_open for still_open, _ in counts.values())
    asked = sum(before for _, before in counts.values())
    terminalreporter.write_line(
        f"{len(counts)} scenarios: {total} open questions after their answers "
        f"(mean {total / len(counts):.1f}); {asked} before any answer "
        f"(mean {asked / len(counts):.1f})"
    )
