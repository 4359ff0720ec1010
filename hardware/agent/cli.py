"""``madoguchi agent --backend URL --token TOKEN``: the counter agent on a PC at the counter."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import typer

from hardware.agent.client import AgentClient, JobLedger
from hardware.agent.devices import build_handlers
from hardware.agent.transport import WebSocketTransport

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    @app.command("agent")
    def agent(
        backend: str = typer.Option(..., help="backend URL, e.g. https://madoguchi.example.jp"),
        token: str = typer.Option(
            ..., envvar="MADOGUCHI_AGENT_TOKEN", help="device token from pairing"
        ),
        state_file: Path | None = typer.Option(
            None, help="remembers finished job ids across restarts (no job is run twice)"
        ),
        reader: str | None = typer.Option(
            None, help="PC/SC reader name (substring); default: the first reader"
        ),
        printer: str | None = typer.Option(
            None, help="printer, e.g. tcp://127.0.0.1:9100 or usb:/dev/usb/lp0"
        ),
        no_card: bool = typer.Option(False, help="this PC has no card reader"),
    ) -> None:
        """Keep one outbound connection to the backend and run its jobs on local devices."""
        # A no-op under `madoguchi`, whose callback has set up logging through the masking
        # filter already; a fallback for an embedding that has not.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        handlers = build_handlers(reader=reader, printer=printer, card=not no_card)
        client = AgentClient(
            WebSocketTransport(backend, token),
            handlers,
            ledger=JobLedger(state_file),
        )
        typer.echo(f"agent: connecting to {backend} (jobs: {', '.join(handlers.kinds) or '-'})")
        asyncio.run(_run_until_signal(client))
        typer.echo("agent stopped")


async def _run_until_signal(client: AgentClient) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await client.run(stop)
