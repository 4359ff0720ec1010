"""visits: index for the retention pass (tenant, purged_at, closed_at)

The worker's retention round used to read every closed, unpurged visit and query its outbox
messages one by one (0.2–0.75 s at 671 visits, growing with every visit kept). It now asks
only for the visits closed at least ``retention_days`` ago and not purged; this index answers
that with a range scan on SQLite and PostgreSQL alike.

Revision ID: a7c3e5b19d42
Revises: a7c3e5f90b12
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a7c3e5b19d42"
down_revision: str | None = "a7c3e5f90b12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_visits_retention", "visits", ["tenant_id", "purged_at", "closed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_visits_retention", table_name="visits")
