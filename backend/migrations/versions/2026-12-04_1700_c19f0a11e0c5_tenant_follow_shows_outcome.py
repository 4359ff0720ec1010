"""tenants: follow_shows_outcome (the follow page shows 処理中／完了; default off)

Revision ID: c19f0a11e0c5
Revises: a17b0c1e2f3d
Create Date: 2026-12-04 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c19f0a11e0c5"
down_revision: str | None = "a17b0c1e2f3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, not batch mode: on SQLite a batch recreates the table, and dropping
    # the old tenants table would cascade to every row that belongs to a tenant.
    op.add_column(
        "tenants",
        sa.Column(
            "follow_shows_outcome",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="the resident's follow page shows 処理中／完了 of the back office's work",
        ),
    )


def downgrade() -> None:
    op.drop_column("tenants", "follow_shows_outcome")  # SQLite 3.35+: ALTER TABLE DROP COLUMN
