"""``madoguchi catalog export|import``: catalog bundles as files between deployments (共創).

Exit codes: 0 ok; 2 with one line on stderr for an unknown tenant, an unreadable or tampered
bundle, or an output path that cannot be written. Import creates a draft, never activates it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from backend.platform.commands import refuse
from backend.platform.errors import MadoguchiError


def _catalog_group(app: typer.Typer) -> typer.Typer:
    """The ``catalog`` group that backend.guidance.cli registered (validate): the last one, as
    the app may be assembled more than once in a process (tests)."""
    for group in reversed(app.registered_groups):
        if group.name == "catalog" and group.typer_instance is not None:
            return group.typer_instance
    catalog_app = typer.Typer(help="Procedure catalogs (YAML).", no_args_is_help=True)
    app.add_typer(catalog_app, name="catalog")
    return catalog_app


def register(app: typer.Typer) -> None:
    catalog_app = _catalog_group(app)

    @catalog_app.command("export")
    def catalog_export(
        tenant: str = typer.Option(..., "--tenant", help="団体コード of the exporting tenant"),
        out: Path = typer.Option(..., "--out", help="bundle file to write"),
    ) -> None:
        """Write the tenant's active catalog as a signed bundle file."""
        from backend.guidance.sharing import export_bundle
        from backend.identity.tenants.service import enter_tenant, find_tenant
        from backend.platform.db import session_scope
        from backend.platform.logging_setup import configure_for_command

        configure_for_command()
        try:
            with session_scope(unscoped=True, write=True) as session:
                found = find_tenant(session, tenant)
                enter_tenant(session, found)
                data = export_bundle(session, found.id, "cli")
        except MadoguchiError as exc:
            refuse(exc.message.splitlines()[0])
        try:
            out.write_bytes(data)
        except OSError as exc:
            refuse(f"{out}: 書き込めません ({exc.strerror})")
        typer.echo(f"{out}: exported")

    @catalog_app.command("import")
    def catalog_import(
        file: Path = typer.Argument(..., help="bundle file from another municipality"),
        tenant: str = typer.Option(..., "--tenant", help="団体コード of the importing tenant"),
    ) -> None:
        """Import a bundle as a draft version (never activated); prints the draft's number."""
        from backend.guidance.sharing import MAX_BUNDLE_BYTES, import_bundle, read_bundle
        from backend.identity.tenants.service import enter_tenant, find_tenant
        from backend.platform.db import session_scope
        from backend.platform.logging_setup import configure_for_command

        configure_for_command()
        try:
            if not file.is_file():
                refuse(f"{file}: ファイルがありません (not a file)")
            if file.stat().st_size > MAX_BUNDLE_BYTES:
                refuse(f"{file}: 共有ファイルが大きすぎます (bundle too large)")
            data = file.read_bytes()
        except OSError as exc:
            refuse(f"{file}: 読めません ({exc.strerror})")
        try:
            bundle = read_bundle(data)
            with session_scope(unscoped=True, write=True) as session:
                found = find_tenant(session, tenant)
                enter_tenant(session, found)
                draft, fork = import_bundle(session, found.id, bundle, "cli")
                number = draft.number
        except MadoguchiError as exc:
            refuse(f"{file}: {exc.message.splitlines()[0]}")
        typer.echo(
            f"draft {number}: {fork.upstream_name} ({fork.upstream_code}) {fork.upstream_label}, "
            f"signer {fork.signer_fingerprint}"
        )
