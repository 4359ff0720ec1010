"""``madoguchi audit verify|export`` and ``madoguchi purge [--dry-run]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant
from backend.platform.logging_setup import configure_for_command


def _tenants(session: Session, code: str | None) -> list[Tenant]:
    statement = select(Tenant).order_by(Tenant.code)
    if code is not None:
        statement = statement.where(Tenant.code == code)
    tenants = list(session.scalars(statement))
    if code is not None and not tenants:
        typer.echo(f"団体コード {code} の自治体がありません (no such tenant)", err=True)
        raise typer.Exit(2)
    return tenants


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help="The audit trail: verify its hash chain, export it.")
    app.add_typer(audit_app, name="audit")

    @audit_app.command("verify")
    def audit_verify(
        tenant: str | None = typer.Option(None, "--tenant", help="団体コード; default: all"),
        anchors_file: Path | None = typer.Option(
            None,
            "--anchors",
            help="signed anchors (MADOGUCHI_AUDIT_ANCHOR_FILE): also find a chain that was "
            "truncated or rewritten with recomputed hashes",
        ),
    ) -> None:
        """Check every tenant's chain; exit 1 at the first changed, removed or reordered event.

        With --anchors, exit 1 too when a chain is shorter than an anchor, its hash at an
        anchored seq differs, or an anchor's signature fails (MADOGUCHI_AUDIT_ANCHOR_KEY).
        """
        from backend.platform.audit import anchors as anchoring
        from backend.platform.audit.service import events, verify_chain
        from backend.platform.db import session_scope

        configure_for_command()
        broken = False
        known: list[anchoring.Anchor] = []
        if anchors_file is not None:
            try:
                known, bad = anchoring.read(anchors_file)
            except anchoring.AnchorError as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(2) from None
            for line in bad:
                broken = True
                typer.echo(f"{anchors_file}: line {line.line}: BAD ANCHOR: {line.reason}")
        with session_scope(unscoped=True) as session:
            rows = _tenants(session, tenant)
            for row in rows:
                checked, chain_break = verify_chain(events(session, row.id))
                if chain_break is not None:
                    broken = True
                    typer.echo(
                        f"{row.code}: BROKEN at seq {chain_break.seq}: {chain_break.reason} "
                        f"({checked} events verified before it)"
                    )
                    continue
                contradiction = anchoring.check(session, row.id, known) if known else None
                if contradiction is not None:
                    broken = True
                    typer.echo(f"{row.code}: BROKEN against the anchors: {contradiction}")
                    continue
                anchored = " and its anchors" if known else ""
                typer.echo(f"{row.code}: OK ({checked} events{anchored})")
            if tenant is None and known:
                missing = {a.tenant_id for a in known} - {row.id for row in rows}
                if missing:
                    broken = True
                    typer.echo(f"BROKEN: {len(missing)} anchored tenant(s) not in the database")
        if broken:
            raise typer.Exit(1)

    @audit_app.command("anchor")
    def audit_anchor(
        file: Path | None = typer.Option(
            None, "--file", help="default: MADOGUCHI_AUDIT_ANCHOR_FILE"
        ),
    ) -> None:
        """Append the signed head of every tenant's chain to the anchor file now."""
        from backend.platform.audit import anchors as anchoring

        configure_for_command()
        try:
            written = anchoring.anchor_now(file)
        except (anchoring.AnchorError, OSError) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        for anchor in written:
            typer.echo(f"anchored {anchor.tenant_id} seq {anchor.seq} {anchor.hash[:16]}…")

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
        configure_for_command()
        writer = export_jsonl if fmt == "jsonl" else export_csv
        with session_scope(unscoped=True) as session:
            (row,) = _tenants(session, tenant)
            try:
                out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
            except OSError as exc:  # a folder, no permission, no such directory
                typer.echo(f"{output}: 書き込めません ({exc.strerror})", err=True)
                raise typer.Exit(2) from None
            try:
                for chunk in writer(events(session, row.id)):
                    out.write(chunk)
            finally:
                if output:
                    out.close()

    @app.command("purge")
    def purge(
        dry_run: bool = typer.Option(False, "--dry-run", help="show what would go, change nothing"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object on stdout"),
    ) -> None:
        """Purge personal data of visits handed off more than retention_days ago.

        Undelivered hand-offs of a due visit are purged unread (a receiver that never comes
        does not hold retention back); they are listed per destination (count, oldest).
        """
        from backend.counter import retention
        from backend.platform.db import session_scope

        configure_for_command()
        with session_scope(unscoped=True) as session:
            purge_plan = retention.plan(session)
            unread = purge_plan.unread
            report: dict[str, Any] = {
                "dry_run": dry_run,
                "visits": len(purge_plan.visits),
                "individual_numbers": len(purge_plan.individual_numbers),
                "items": [
                    {
                        "tenant": item.tenant_code,
                        "visit_id": item.visit_id,
                        "handed_off_at": item.handed_off_at.isoformat(),
                        "due_at": item.due_at.isoformat(),
                        "individual_numbers_only": item.individual_numbers_only,
                        "unread": len(item.unread),
                    }
                    for item in purge_plan.items
                ],
                "purged_unread": [
                    {
                        "tenant": summary.tenant,
                        "destination": summary.destination,
                        "count": summary.count,
                        "oldest": summary.oldest.isoformat(),
                    }
                    for summary in unread
                ],
            }
            if not as_json:
                for item in purge_plan.items:
                    what = (
                        "個人番号のみ (individual numbers)"
                        if item.individual_numbers_only
                        else "visit"
                    )
                    typer.echo(
                        f"{item.tenant_code} {item.visit_id} handed off "
                        f"{item.handed_off_at:%Y-%m-%d} due {item.due_at:%Y-%m-%d}: {what}"
                    )
                verb = "would be purged unread" if dry_run else "purged unread"
                for summary in unread:
                    typer.echo(
                        f"{summary.tenant} {summary.destination}: {summary.count} message(s) "
                        f"{verb} (未取得のまま削除), oldest {summary.oldest:%Y-%m-%d %H:%M}"
                    )
            if dry_run:
                session.rollback()
                if as_json:
                    typer.echo(json.dumps(report, ensure_ascii=False))
                else:
                    typer.echo(
                        f"dry run: {len(purge_plan.visits)} visit(s) and "
                        f"{len(purge_plan.individual_numbers)} 個人番号 set(s) would be purged"
                    )
                return
            done = retention.execute(session, purge_plan)
            report["purged"] = done
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False))
        else:
            typer.echo(f"purged {done} item(s)")
