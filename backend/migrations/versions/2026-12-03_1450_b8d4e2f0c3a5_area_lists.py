"""area lists: a municipality's 町字 imported from CSV (address base registry or simple)

Revision ID: b8d4e2f0c3a5
Revises: a7c3f1e9b2d4
Create Date: 2026-12-03 14:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.platform.db

revision: str = "b8d4e2f0c3a5"
down_revision: str | None = "a7c3f1e9b2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area_lists",
        sa.Column("prefecture", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=60), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False, comment="[{id, name, kana}]"),
        sa.Column(
            "digest", sa.String(length=64), nullable=False, comment="SHA-256 of the areas as JSON"
        ),
        sa.Column(
            "source", sa.String(length=40), nullable=False, comment="abr (町字マスター) or simple"
        ),
        sa.Column("imported_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_area_lists_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_lists")),
    )
    with op.batch_alter_table("area_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_lists_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("area_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_lists_tenant_id"))
    op.drop_table("area_lists")
