"""Core commands: visit validation (more arrive with the foundation)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError

from backend.record import VisitRecord


def _format_error_location(loc: tuple[int | str, ...]) -> str:
    return ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in loc).replace(
        ".[", "["
    )


def validate_visit(path: Path) -> list[str]:
    """Validate a visit record file; return one readable line per problem (empty when valid)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"{path}: ファイルがありません (file not found)"]
    except json.JSONDecodeError as exc:
        return [f"{path}:{exc.lineno}:{exc.colno}: JSON として読めません: {exc.msg}"]
    try:
        VisitRecord.model_validate(data)
    except ValidationError as exc:
        return [
            f"{path}: {_format_error_location(err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        ]
    return []


def register(app: typer.Typer) -> None:
    visit_app = typer.Typer(help="Canonical visit records (madoguchi.visit/1).")
    app.add_typer(visit_app, name="visit")

    @visit_app.command("validate")
    def visit_validate(file: Path) -> None:
        """Check FILE against the visit record schema; exit 1 with one line per error."""
        problems = validate_visit(file)
        for line in problems:
            typer.echo(line, err=True)
        if problems:
            raise typer.Exit(1)
        typer.echo(f"{file}: OK")
