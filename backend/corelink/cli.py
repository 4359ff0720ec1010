"""``madoguchi core simulate``: the core 住民記録 system simulator (synthetic residents)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    core_app = typer.Typer(help="The core 住民記録 system (基幹系).", no_args_is_help=True)
    app.add_typer(core_app, name="core")

    @core_app.command("simulate")
    def simulate(
        port: int = typer.Option(8790, help="port to listen on"),
        host: str = typer.Option("127.0.0.1"),
    ) -> None:
        """Serve the simulator (synthetic residents only) until interrupted."""
        from integrations.core.simulator import CoreSimulatorServer

        server = CoreSimulatorServer(host, port)
        typer.echo(f"core system simulator on {server.url} (synthetic residents)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            typer.echo("stopped")
        finally:
            server.server_close()
