"""``madoguchi queue …``: the waiting-time simulation."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    queue_app = typer.Typer(help="Tickets and calls.")
    app.add_typer(queue_app, name="queue")

    @queue_app.command("simulate")
    def simulate(
        seed: int = typer.Option(1, help="random seed of the simulated day"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object on stdout"),
    ) -> None:
        """Simulate one office day; compare the live estimator's error with the naive one."""
        from backend.queue.simulation import simulate_day

        result = simulate_day(seed)
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
            return
        typer.echo(
            f"seed {seed}: {result['tickets']} tickets, mean wait "
            f"{result['mean_wait_minutes']} min; MAE estimate {result['mae_estimate_minutes']} "
            f"min vs naive {result['mae_naive_minutes']} min → ratio {result['ratio']} "
            f"(target ≤ {result['target_ratio']})"
        )
