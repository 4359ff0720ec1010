"""visit views: audit visit.view once per staff session and version of the visit

Revision ID: a17b0c1e2f3d
Revises: e84ad5963201
Create Date: 2026-12-03 18:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.platform.db

revision: str = "a17b0c1e2f3d"
down_revision: str | None = "e84ad5963201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_views",
        sa.Column("visit_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False, comment="staff session"),
        sa.Column("version_seen", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_visit_views_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_views_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "session_id", name=op.f("pk_visit_views")),
    )
    op.create_index(op.f("ix_visit_views_tenant_id"), "visit_views", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_visit_views_tenant_id"), table_name="visit_views")
    op.drop_table("visit_views")
