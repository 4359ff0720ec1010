"""The layering rules of docs/architecture.md, checked against the code's imports.

contracts ← hardware / forms / integrations ← backend.platform ← domains ← entry points.
Every import is read from the syntax tree, including imports inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("backend", "contracts", "hardware", "forms", "integrations", "kiosk")
ENTRY_POINTS = {
    "backend.app",
    "backend.cli",
    "backend.server_cli",
    "backend.worker",
    "backend.demo",
    "backend.agent_demo",
    "backend.seed",
    "backend.models",
}


def is_entry_point(module: str) -> bool:
    """The entry points, and the ``demo`` wiring each package gives ``madoguchi demo``."""
    return module in ENTRY_POINTS or module.endswith(".demo")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            elif node.module:
                yield node.lineno, node.module


def is_ours(module: str) -> bool:
    return module.split(".")[0] in OURS


def violations(package: str, allowed: tuple[str, ...]) -> list[str]:
    found = []
    for path in python_files(package):
        for line, module in imported_modules(path):
            if is_ours(module) and not module.startswith(allowed):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    return found


def test_contracts_import_only_the_standard_library_and_pydantic() -> None:
    found = []
    for path in python_files("contracts"):
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            if top == "contracts":
                continue
            if top in OURS or (top not in _STDLIB and top not in ("pydantic", "pydantic_core")):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert found == []


_STDLIB = frozenset(__import__("sys").stdlib_module_names)


@pytest.mark.parametrize("package", ["hardware", "forms", "integrations"])
def test_infrastructure_imports_only_contracts_of_ours(package: str) -> None:
    assert violations(package, (package, "contracts")) == []


def test_the_platform_imports_no_domain() -> None:
    allowed = ("backend.platform", "contracts", "hardware", "forms", "integrations")
    assert violations("backend/platform", allowed) == []


def test_nothing_imports_an_entry_point() -> None:
    found = []
    for package in OURS:
        for path in python_files(package):
            me = module_name(path)
            for line, module in imported_modules(path):
                if is_entry_point(module) and not is_entry_point(me):
                    found.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert found == []


def test_routers_hold_no_queries() -> None:
    """A router calls a service function; the SQL lives in the service."""
    found = []
    for path in python_files("backend"):
        if path.name == "router.py" or path.name.endswith("_router.py"):
            text = path.read_text(encoding="utf-8")
            if "select(" in text or "session.execute(" in text or "session.scalars(" in text:
                found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_nobody_imports_another_modules_private_names() -> None:
    found = []
    for package in OURS:
        for path in python_files(package):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and is_ours(node.module):
                    for alias in node.names:
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            found.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
    assert found == []


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The checker itself: an import of backend inside a function is found."""
    sample = ROOT / "forms" / "_layer_probe.py"
    sample.write_text("def f():\n    from backend.platform import db\n", encoding="utf-8")
    try:
        assert violations("forms", ("forms", "contracts")) == [
            "forms/_layer_probe.py:2: imports backend.platform"
        ]
    finally:
        sample.unlink()
