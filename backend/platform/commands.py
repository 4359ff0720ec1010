"""What operator commands share: input that cannot be used ends with one line and exit 2."""

from __future__ import annotations

from typing import NoReturn

import typer

INPUT_ERROR = 2


def refuse(message: str) -> NoReturn:
    """One line on stderr, exit 2 (the contract operators script against)."""
    typer.echo(message, err=True)
    raise typer.Exit(INPUT_ERROR)
