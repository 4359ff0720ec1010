"""The visits fixtures serve the layout tests too (a clerk previews a visit's forms)."""

from tests.backend.counter.conftest import clerk, demo

__all__ = ["clerk", "demo"]
