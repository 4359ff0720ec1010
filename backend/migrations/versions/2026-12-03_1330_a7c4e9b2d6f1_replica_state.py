"""state every replica reaches: PINs in custody, agents' connections, login failures

The PIN of a card read moves out of process memory into ``agent_pins`` (sealed, seconds long,
deleted when the job ends); on PostgreSQL the table is UNLOGGED, so a PIN never reaches the WAL
and with it WAL archives, point-in-time backups or streaming replicas. ``agent_links`` says which
agent is connected (to any replica) and the job kinds it offered. The login and pairing
limits count rows of ``login_failures`` (an HMAC of the address or name, never the value), so
N backend replicas share one limit.

Revision ID: a7c4e9b2d6f1
Revises: b8d4e2f0c3a5
Create Date: 2026-12-03 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.platform.db

revision: str = "a7c4e9b2d6f1"
down_revision: str | None = "b8d4e2f0c3a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "agent_pins",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False, comment="AES-GCM; never the PIN in clear"),
        sa.Column("expires_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["agent_jobs.id"],
            name=op.f("fk_agent_pins_job_id_agent_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_agent_pins")),
        prefixes=unlogged,
    )
    op.create_index(op.f("ix_agent_pins_expires_at"), "agent_pins", ["expires_at"], unique=False)
    op.create_table(
        "agent_links",
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("link_id", sa.String(length=32), nullable=False, comment="this connection"),
        sa.Column("kinds", sa.JSON(), nullable=False, comment="job kinds it runs"),
        sa.Column("connected_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_agent_links_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_agent_links")),
    )
    op.create_table(
        "login_failures",
        sa.Column(
            "scope", sa.String(length=16), nullable=False, comment="address, username or pairing"
        ),
        sa.Column(
            "key_digest",
            sa.String(length=64),
            nullable=False,
            comment="HMAC-SHA256 of the address or tenant/name, never the value",
        ),
        sa.Column("failed_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        op.f("ix_login_failures_failed_at"), "login_failures", ["failed_at"], unique=False
    )
    op.create_index(
        "ix_login_failures_scope_key",
        "login_failures",
        ["scope", "key_digest", "failed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_login_failures_scope_key", table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_failed_at"), table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("agent_links")
    op.drop_index(op.f("ix_agent_pins_expires_at"), table_name="agent_pins")
    op.drop_table("agent_pins")
