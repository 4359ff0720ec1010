"""docs/architecture.md draws the visit's states; the drawing must be the code's table."""

from __future__ import annotations

import re
from pathlib import Path

from backend.counter.states import TRANSITIONS

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
ARROW = re.compile(r"^\s+(\w+) --> (\w+): (\w+)", re.MULTILINE)


def test_the_state_diagram_is_the_transitions_table() -> None:
    drawn = {(source, action): target for source, target, action in ARROW.findall(DOC.read_text())}
    table = {
        (source.value, action.value): target.value
        for (source, action), target in TRANSITIONS.items()
    }
    assert drawn == table
