"""``madoguchi journey report``: the journey report's figures for scripts."""

from __future__ import annotations

import datetime as dt
import json

import typer

from backend.platform.logging_setup import configure_for_command


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(
            f"{name}: 日付は YYYY-MM-DD で指定してください (not a date: {value!r})", err=True
        )
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    journey_app = typer.Typer(help="窓口利用体験調査: wait, service time, writing avoided.")
    app.add_typer(journey_app, name="journey")

    @journey_app.command("report")
    def report(
        tenant: str = typer.Option(..., "--tenant", help="団体コード (6 digits)"),
        start: str = typer.Option(..., "--from", help="first day, YYYY-MM-DD (Tokyo)"),
        end: str = typer.Option(..., "--to", help="last day, YYYY-MM-DD (inclusive)"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object on stdout"),
    ) -> None:
        """Per life event: visits, wait, service time, counters, fields prefilled, vs baseline."""
        from backend.journey.report import TenantNotFound, build_report, tenant_by_code
        from backend.platform.db import session_scope

        first, last = _date(start, "--from"), _date(end, "--to")
        if last < first:
            typer.echo("--to は --from 以降の日付にしてください (--to is before --from)", err=True)
            raise typer.Exit(2)
        configure_for_command()
        with session_scope(unscoped=True) as session:
            try:
                figures = build_report(session, tenant_by_code(session, tenant), first, last)
            except TenantNotFound:
                typer.echo(f"団体コード {tenant} の自治体がありません (no such tenant)", err=True)
                raise typer.Exit(1) from None
        if as_json:
            typer.echo(json.dumps(figures, ensure_ascii=False))
            return
        for event, entry in figures["events"].items():
            wait = entry.get("wait_minutes", {})
            typer.echo(
                f"{entry['label_ja']} ({event}): {entry['visits']} visits, wait median "
                f"{wait.get('median')} min (p90 {wait.get('p90')}), service median "
                f"{entry.get('service_minutes', {}).get('median')} min"
            )
