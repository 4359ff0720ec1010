"""``madoguchi addresses import --tenant CODE FILE``: the 町字 list from CSV.

Exit 0 with the counts (added, refused); 2 with one line for an unknown tenant, an unreadable
file or a CSV with nothing to import. The refused lines are listed on stderr with reasons.
"""

from __future__ import annotations

from pathlib import Path

import typer

from backend.platform.commands import refuse
from backend.platform.errors import MadoguchiError


def register(app: typer.Typer) -> None:
    addresses_app = typer.Typer(help="町字 (town and block names) lists.", no_args_is_help=True)
    app.add_typer(addresses_app, name="addresses")

    @addresses_app.command("import")
    def addresses_import(
        file: Path = typer.Argument(..., help="町字マスター CSV or id,name,kana CSV"),
        tenant: str = typer.Option(..., "--tenant", help="団体コード"),
    ) -> None:
        """Replace the tenant's 町字 list with FILE's rows for that municipality."""
        from backend.addresses import importing
        from backend.identity.tenants.service import enter_tenant, find_tenant
        from backend.platform.db import session_scope
        from backend.platform.logging_setup import configure_for_command

        configure_for_command()
        try:
            if not file.is_file():
                refuse(f"{file}: ファイルがありません (not a file)")
            if file.stat().st_size > importing.MAX_CSV_BYTES:
                refuse(f"{file}: CSV が大きすぎます (over 20 MB)")
            data = file.read_bytes()
        except OSError as exc:
            refuse(f"{file}: 読めません ({exc.strerror})")
        try:
            with session_scope(unscoped=True, write=True) as session:
                found = find_tenant(session, tenant)
                enter_tenant(session, found)
                imported = importing.parse_csv(importing.decode(data), found.code, found.name)
                importing.store(session, found.id, imported, "cli")
        except MadoguchiError as exc:
            refuse(f"{file}: {exc.message.splitlines()[0]}")
        for refusal in imported.refused[: importing.MAX_REFUSALS_LISTED]:
            typer.echo(f"{file}:{refusal.line}: {refusal.reason}", err=True)
        typer.echo(
            f"{imported.areas.prefecture}{imported.areas.city}: {imported.added} added, "
            f"{len(imported.refused)} refused ({imported.source})"
        )
