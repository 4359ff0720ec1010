"""``madoguchi tenant …`` and ``madoguchi staff …``: municipalities and their staff accounts.

Operators script against these: exit 0 on success, exit 2 with one line on stderr for input
that cannot be used (an invalid or duplicate 団体コード, an unknown account, a short password).
Passwords are read from standard input only (``--password-stdin``), never from the command line.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from backend.platform.commands import refuse
from backend.platform.errors import MadoguchiError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry inside some containers
        return "cli"


def _password_from_stdin() -> str:
    """One line from standard input, without its line ending."""
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        refuse("標準入力からパスワードを読めませんでした (no password on stdin).")
    return password


def _run(work: Callable[..., T]) -> T:
    """Run ``work(session)`` in one write transaction; input errors exit 2 with one line."""
    from backend.platform.db import session_scope
    from backend.platform.logging_setup import configure_for_command

    configure_for_command()
    try:
        with session_scope(unscoped=True, write=True) as session:
            return work(session)
    except MadoguchiError as exc:
        refuse(exc.message.splitlines()[0])


def register(app: typer.Typer) -> None:
    _register_tenant(app)
    _register_staff(app)


def _register_tenant(app: typer.Typer) -> None:
    tenant_app = typer.Typer(help="Municipalities (tenants) of this deployment.")
    app.add_typer(tenant_app, name="tenant")

    @tenant_app.command("create")
    def tenant_create(
        code: str = typer.Option(..., "--code", help="団体コード (6 digits with check digit)"),
        name: str = typer.Option(..., "--name", help="自治体名, e.g. 〇〇市"),
        admin: str = typer.Option(..., "--admin", help="username of the first admin account"),
        password_stdin: bool = typer.Option(
            False, "--password-stdin", help="read the admin's password from standard input"
        ),
    ) -> None:
        """Create a municipality and its admin; prints the tenant's id."""
        from backend.identity.staff.models import Role
        from backend.identity.staff.service import StaffChange, add_staff
        from backend.identity.tenants.service import create_tenant

        if not password_stdin:
            refuse("--password-stdin でパスワードを渡してください (use --password-stdin).")
        password = _password_from_stdin()
        actor = _actor()

        def work(session: Session) -> str:
            tenant = create_tenant(session, code=code, name=name, actor=actor)
            add_staff(
                session,
                tenant.id,
                username=admin,
                role=Role.TENANT_ADMIN,
                password=password,
                display_name=f"{name} 管理者",
                change=StaffChange(actor=actor),
            )
            return tenant.id

        typer.echo(_run(work))

    @tenant_app.command("follow-outcome")
    def tenant_follow_outcome(
        code: str = typer.Option(..., "--code", help="団体コード"),
        shown: bool = typer.Option(
            ..., "--show/--hide", help="the follow page shows 処理中／完了 (default: hidden)"
        ),
    ) -> None:
        """Whether residents see the back office's 処理中／完了 on their follow page."""
        from backend.identity.tenants.service import set_follow_shows_outcome

        actor = _actor()

        def work(session: Session) -> bool:
            return set_follow_shows_outcome(
                session, code=code, shown=shown, actor=actor
            ).follow_shows_outcome

        typer.echo("shown" if _run(work) else "hidden")

    @tenant_app.command("list")
    def tenant_list(
        as_json: bool = typer.Option(False, "--json", help="a JSON array on stdout"),
    ) -> None:
        """Every municipality: code, name, id and number of staff accounts."""
        from backend.identity.staff.service import list_staff
        from backend.identity.tenants.service import list_tenants

        def work(session: Session) -> list[dict[str, object]]:
            return [
                {
                    "id": tenant.id,
                    "code": tenant.code,
                    "name": tenant.name,
                    "staff": len(list_staff(session, tenant.id)),
                }
                for tenant in list_tenants(session)
            ]

        rows = _run(work)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            typer.echo(f"{row['code']}  {row['name']}  (staff {row['staff']})  {row['id']}")


def _register_staff(app: typer.Typer) -> None:
    staff_app = typer.Typer(help="Staff accounts of a municipality.")
    app.add_typer(staff_app, name="staff")

    @staff_app.command("add")
    def staff_add(
        tenant: str = typer.Option(..., "--tenant", help="団体コード"),
        username: str = typer.Option(..., "--username"),
        role: str = typer.Option(..., "--role", help="clerk, back_office, tenant_admin, operator"),
        display_name: str | None = typer.Option(None, "--display-name", help="氏名 shown"),
        password_stdin: bool = typer.Option(False, "--password-stdin"),
    ) -> None:
        """Add a staff account; prints its id."""
        from backend.identity.staff.service import StaffChange, add_staff, parse_role
        from backend.identity.tenants.service import find_tenant

        if not password_stdin:
            refuse("--password-stdin でパスワードを渡してください (use --password-stdin).")
        password = _password_from_stdin()
        actor = _actor()

        def work(session: Session) -> str:
            found = find_tenant(session, tenant)
            staff = add_staff(
                session,
                found.id,
                username=username,
                role=parse_role(role),
                password=password,
                display_name=display_name,
                change=StaffChange(actor=actor),
            )
            return staff.id

        typer.echo(_run(work))

    @staff_app.command("disable")
    def staff_disable(
        tenant: str = typer.Option(..., "--tenant", help="団体コード"),
        username: str = typer.Option(..., "--username"),
    ) -> None:
        """Disable an account; its open sessions end at once."""
        from backend.identity.staff.service import StaffChange, disable_staff, find_staff
        from backend.identity.tenants.service import find_tenant

        actor = _actor()

        def work(session: Session) -> int:
            staff = find_staff(session, find_tenant(session, tenant).id, username)
            return disable_staff(session, staff, change=StaffChange(actor=actor))

        ended = _run(work)
        typer.echo(f"disabled {username} ({ended} session(s) ended)")

    @staff_app.command("enable")
    def staff_enable(
        tenant: str = typer.Option(..., "--tenant", help="団体コード"),
        username: str = typer.Option(..., "--username"),
    ) -> None:
        """Enable a disabled account again."""
        from backend.identity.staff.service import StaffChange, enable_staff, find_staff
        from backend.identity.tenants.service import find_tenant

        actor = _actor()

        def work(session: Session) -> None:
            staff = find_staff(session, find_tenant(session, tenant).id, username)
            enable_staff(session, staff, change=StaffChange(actor=actor))

        _run(work)
        typer.echo(f"enabled {username}")

    @staff_app.command("reset-password")
    def staff_reset_password(
        tenant: str = typer.Option(..., "--tenant", help="団体コード"),
        username: str = typer.Option(..., "--username"),
        password_stdin: bool = typer.Option(False, "--password-stdin"),
    ) -> None:
        """Set a new password; the account's open sessions end."""
        from backend.identity.staff.service import StaffChange, find_staff, reset_password
        from backend.identity.tenants.service import find_tenant

        if not password_stdin:
            refuse("--password-stdin でパスワードを渡してください (use --password-stdin).")
        password = _password_from_stdin()
        actor = _actor()

        def work(session: Session) -> int:
            staff = find_staff(session, find_tenant(session, tenant).id, username)
            return reset_password(session, staff, password, change=StaffChange(actor=actor))

        ended = _run(work)
        typer.echo(f"password reset for {username} ({ended} session(s) ended)")

    @staff_app.command("list")
    def staff_list(
        tenant: str = typer.Option(..., "--tenant", help="団体コード"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """The municipality's staff accounts (never a password hash)."""
        from backend.identity.staff.service import list_staff
        from backend.identity.tenants.service import find_tenant

        def work(session: Session) -> list[dict[str, object]]:
            found = find_tenant(session, tenant)
            return [
                {
                    "id": s.id,
                    "username": s.username,
                    "display_name": s.display_name,
                    "role": s.role,
                    "active": s.active,
                }
                for s in list_staff(session, found.id)
            ]

        rows = _run(work)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            state = "" if row["active"] else "  (無効 disabled)"
            typer.echo(f"{row['username']}  {row['role']}  {row['display_name']}{state}")
