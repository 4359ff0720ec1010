"""The ``madoguchi`` command: one root, a sub-command per capability.

Each domain adds its own commands in a ``register(app)`` function of its own module, listed in
``COMMAND_MODULES``; this file only assembles them.
"""

from __future__ import annotations

import importlib

import typer

from backend.platform.logging_setup import configure_for_command

app = typer.Typer(
    name="madoguchi",
    help="書かないワンストップ窓口 (no-writing one-stop municipal counter).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules exposing ``register(app: typer.Typer) -> None``; keep one per line (merges stay easy).
COMMAND_MODULES: tuple[str, ...] = (
    "backend.server_cli",
    "backend.printing.cli",
    "backend.guidance.cli",
    "backend.guidance.sharing_cli",
    "hardware.card.cli",
    "backend.queue.cli",
    "backend.counter.retention_cli",
    "backend.platform.outbox.cli",
    "backend.corelink.cli",
    "hardware.agent.cli",
    "backend.identity.cli",
    "backend.addresses.cli",
    "backend.journey.cli",
)


@app.callback()
def _masked_logging() -> None:
    """Every command logs through the masking filter from its first line (the counter agent
    included: its card jobs carry PINs), at the settings' level."""
    configure_for_command()


def build_app() -> typer.Typer:
    # Every mapper configured before a command runs (a purge touches visits → tickets).
    importlib.import_module("backend.models")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)
    return app


def main() -> None:
    build_app()()
