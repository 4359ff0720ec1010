"""Helpers shared by tests, imported as ``tests.helpers.…`` (never ``from conftest import``:
a conftest is pytest's to load, and which ``conftest`` a bare import finds depends on
``sys.path``)."""
