"""``madoguchi audit verify|export`` and ``madoguchi purge [--dry-run]``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant


def _tenants(session: Session, code: str | None) -> list[Tenant]:
    statement = select(Tenant).order_by(Tenant.code)
    if code is not None:
        statement = statement.where(Tenant.code == code)
    tenants = list(session.scalars(statement))
    if code is not None and not tenants:
        typer.echo(f"団体コード {code} の自治体がありません (no such tenant)", err=True)
        raise typer.Exit(2)
    return tenants


def _prepare() -> None:
    from backend.platform.logging_setup import configure_logging
    from backend.platform.settings import get_settings

    configure_logging(get_settings().log_level)


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help="The audit trail: verify its hash chain, export it.")
    app.add_typer(audit_app, name="audit")

    @audit_app.command("verify")
    def audit_verify(
        tenant: str | None = typer.Option(None, "--tenant", help="団体コード; default: all"),
    ) -> None:
        """Check every tenant's chain; exit 1 at the first changed, removed or reordered event."""
        from backend.platform.audit.service import events, verify_chain
        from backend.platform.db import session_scope

        _prepare()
        broken = False
        with session_scope(unscoped=True) as session:
            for row in _tenants(session, tenant):
                checked, chain_break = verify_chain(events(session, row.id))
                if chain_break is None:
                    typer.echo(f"{row.code}: OK ({checked} events)")
                    continue
                broken = True
                typer.echo(
                    f"{row.code}: BROKEN at seq {chain_break.seq}: {chain_break.reason} "
                    f"({checked} events verified before it)"
                )
        if broken:
            raise typer.Exit(1)

    @audit_app.command("export")
    def audit_export(
        tenant: str = typer.Option(..., "--tenant", help="団体コード"),
        fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv"),
        output: Path | None = typer.Option(None, "--output", "-o", help="default: stdout"),
    ) -> None:
        """Write a tenant's audit trail for its auditors (JSON Lines or CSV)."""
        from backend.platform.audit.service import events, export_csv, export_jsonl
        from backend.platform.db import session_scope

        if fmt not in ("jsonl", "csv"):
            typer.echo("--format は jsonl か csv です", err=True)
            raise typer.Exit(2)
        _prepare()
        writer = export_jsonl if fmt == "jsonl" else export_csv
        with session_scope(unscoped=True) as session:
            (row,) = _tenants(session, tenant)
            out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
            try:
                for chunk in writer(events(session, row.id)):
                    out.write(chunk)
            finally:
                if output:
                    out.close()

    @app.command("purge")
    def purge(
        dry_run: bool = typer.Option(False, "--dry-run", help="show what would go, change nothing"),
    ) -> None:
        """Purge personal data of visits handed off more than retention_days ago."""
        from backend.counter import retention
        from backend.platform.db import session_scope

        _prepare()
        with session_scope(unscoped=True) as session:
            purge_plan = retention.plan(session)
            for item in purge_plan.items:
                what = (
                    "個人番号のみ (individual numbers)" if item.individual_numbers_only else "visit"
                )
                typer.echo(
                    f"{item.tenant_code} {item.visit_id} handed off {item.handed_off_at:%Y-%m-%d} "
                    f"due {item.due_at:%Y-%m-%d}: {what}"
                )
            if dry_run:
                typer.echo(
                    f"dry run: {len(purge_plan.visits)} visit(s) and "
                    f"{len(purge_plan.individual_numbers)} 個人番号 set(s) would be purged"
                )
                session.rollback()
                return
            done = retention.execute(session, purge_plan)
            typer.echo(f"purged {done} item(s)")
