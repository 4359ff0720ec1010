"""integrations/ uses only contracts (DESIGN.md, "Which package may use which")."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "integrations"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_integrations_import_nothing_of_backend_but_the_record() -> None:
    offending = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in {"backend", "forms", "hardware", "kiosk"}
        and not name.startswith("contracts")
    }
    assert offending == set()
