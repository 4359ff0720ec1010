"""``madoguchi outbox …``: list messages, replay one, add a destination."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from backend.platform.logging_setup import configure_for_command

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _tenant_id(session: Session, code: str) -> str | None:
    """The id of the tenant with 団体コード ``code`` (the tenants table every
    ``TenantOwned`` row refers to; the outbox needs nothing else of it)."""
    from sqlalchemy import column, select, table

    tenants = table("tenants", column("id"), column("code"))
    return session.scalar(select(tenants.c.id).where(tenants.c.code == code))


def register(app: typer.Typer) -> None:
    outbox_app = typer.Typer(help="Back-office hand-offs (outbox).", no_args_is_help=True)
    app.add_typer(outbox_app, name="outbox")

    @outbox_app.command("replay")
    def replay(message_id: str) -> None:
        """Send message MESSAGE_ID again (exit 1 if it does not exist or is being sent)."""
        from backend.platform.db import session_scope
        from backend.platform.errors import MadoguchiError
        from backend.platform.outbox import service

        configure_for_command()
        try:
            with session_scope(unscoped=True) as session:
                message = service.replay(session, message_id, tenant_id=None, actor="cli")
                typer.echo(f"{message.id} {message.destination}: pending (replay)")
        except MadoguchiError as exc:
            typer.echo(f"{exc.code}: {exc.message}", err=True)
            raise typer.Exit(1) from exc

    @outbox_app.command("list")
    def list_messages(
        status: str | None = typer.Option(None, help="pending, delivering, published, …"),
        limit: int = typer.Option(50),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """The newest outbox messages with their delivery state (no personal data)."""
        from sqlalchemy import select

        from backend.platform.db import session_scope
        from backend.platform.outbox.models import OutboxMessage

        configure_for_command()
        with session_scope(unscoped=True) as session:
            query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
            if status:
                query = query.where(OutboxMessage.status == status)
            rows = [
                {
                    "id": m.id,
                    "destination": m.destination,
                    "visit_id": m.key,
                    "version": m.version,
                    "status": m.status,
                    "attempts": m.attempts,
                    "last_error": m.last_error,
                }
                for m in session.scalars(query)
            ]
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            typer.echo(
                f"{row['id']}  {row['destination']:<16} {row['status']:<10} "
                f"attempts={row['attempts']} {row['last_error'] or ''}"
            )

    @outbox_app.command("add-destination")
    def add_destination(
        tenant: str = typer.Option(..., help="団体コード"),
        name: str = typer.Option(...),
        kind: str = typer.Option(..., help="webhook, csv, amqp, pull"),
        config: str = typer.Option("{}", help='JSON, e.g. \'{"url": "https://…"}\''),
        secret: str | None = typer.Option(None, help="webhook signing secret"),
        max_attempts: int = typer.Option(10),
    ) -> None:
        """Add a hand-off destination to a tenant (exit 1 on invalid input)."""
        from pydantic import ValidationError

        from backend.platform.db import session_scope
        from backend.platform.errors import MadoguchiError
        from backend.platform.outbox import service
        from backend.platform.outbox.schemas import DestinationCreate

        configure_for_command()
        try:
            body = DestinationCreate(
                name=name,
                kind=kind,
                config=json.loads(config),
                secret=secret,
                max_attempts=max_attempts,
            )
            with session_scope(unscoped=True) as session:
                tenant_id = _tenant_id(session, tenant)
                if tenant_id is None:
                    typer.echo(f"tenant {tenant} not found", err=True)
                    raise typer.Exit(1)
                session.info["tenant_id"] = tenant_id
                destination = service.create_destination(session, tenant_id, body, actor="cli")
                typer.echo(f"{destination.id} {destination.name} ({destination.kind})")
        except (ValidationError, json.JSONDecodeError, MadoguchiError) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
