"""The visits fixtures serve the counter-flow tests too."""

from tests.backend.visits.conftest import clerk, demo

__all__ = ["clerk", "demo"]
