"""visit roles: who files (a member), the 代理人, the new head, questions left unresolved

The 届出人 was a name copied from the first member read, so a newborn typed first became the
one who signs. The visit now keeps who files as a member id, the 代理人, the new 世帯主 and the
questions the clerk could not confirm, in one encrypted JSON column (they hold names).
A plain ADD COLUMN: native on SQLite and PostgreSQL, no table copy.

Revision ID: a7c3e5f90b12
Revises: a7c4e9b2d6f1
Create Date: 2026-12-03 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.platform.db

revision: str = "a7c3e5f90b12"
down_revision: str | None = "a7c4e9b2d6f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "visits",
        sa.Column(
            "roles",
            backend.platform.db.EncryptedJSON(),
            nullable=True,
            comment="届出人 (member id), 代理人, new head, unresolved questions; encrypted",
        ),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE visits DROP COLUMN roles")
