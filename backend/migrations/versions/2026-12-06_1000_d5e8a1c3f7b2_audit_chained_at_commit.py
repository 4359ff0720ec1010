"""audit: chain a unit's events inside its COMMIT (a deferred trigger), not from the client

``audit_append`` took the chain's lock from the client, so the lock stayed held while the
request's thread waited for the GIL to send its COMMIT: at 64 counters on two processes 1.2
connections were waiting for it on average (≈0.4 s a visit). The unit now inserts its events
into ``audit_pending``; a constraint trigger deferred to the commit hands each row to
``audit_append`` and deletes it, so the lock is taken and released inside the COMMIT and no
round trip to a busy process is made under it. The chain's order is the order of the commits.

``audit_pending`` is unlogged: no row outlives its transaction (the trigger deletes it), so
there is nothing to recover after a crash and no WAL to write for it. SQLite (one writer at a
time) chains from the client as before; the table exists there only to match the models.

Revision ID: d5e8a1c3f7b2
Revises: a9d4c2e7f1b8
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5e8a1c3f7b2"
down_revision: str | None = "a9d4c2e7f1b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGER = (
    """
    CREATE FUNCTION audit_chain_pending() RETURNS trigger AS $$
    BEGIN
        PERFORM audit_append(NEW.tenant_id, NEW.events::jsonb);
        DELETE FROM audit_pending WHERE id = NEW.id;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE CONSTRAINT TRIGGER audit_pending_chained AFTER INSERT ON audit_pending
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_pending()
    """,
)


def upgrade() -> None:
    on_postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(  # on SQLite too (the models' table), where it stays empty
        "audit_pending",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant_id", sa.String(32), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        prefixes=["UNLOGGED"] if on_postgres else [],
    )
    if on_postgres:
        for statement in _TRIGGER:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_pending")  # its trigger with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_chain_pending()")
