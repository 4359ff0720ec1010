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
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column(
                "follow_shows_outcome",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="the resident's follow page shows 処理中／完了 of the back office's work",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("follow_shows_outcome")
