"""The visits fixtures serve the counter-flow tests too."""

from tests.backend.counter.conftest import clerk, demo

__all__ = ["clerk", "demo"]
