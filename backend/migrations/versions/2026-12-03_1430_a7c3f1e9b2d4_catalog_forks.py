"""catalog forks: catalogs imported from another municipality's bundle (共創)

Revision ID: a7c3f1e9b2d4
Revises: 5e1f0c7a9d21
Create Date: 2026-12-03 14:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.platform.db

revision: str = "a7c3f1e9b2d4"
down_revision: str | None = "5e1f0c7a9d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_forks",
        sa.Column(
            "draft_number",
            sa.Integer(),
            nullable=False,
            comment="the draft version the import created",
        ),
        sa.Column("upstream_code", sa.String(length=6), nullable=False, comment="団体コード"),
        sa.Column("upstream_name", sa.String(length=100), nullable=False),
        sa.Column(
            "upstream_version", sa.Integer(), nullable=True, comment="None: their built-in sample"
        ),
        sa.Column("upstream_label", sa.String(length=200), nullable=False),
        sa.Column("upstream_digest", sa.String(length=64), nullable=False),
        sa.Column("upstream_source", sa.Text(), nullable=False, comment="the YAML as imported"),
        sa.Column("signer_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_catalog_forks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_forks")),
    )
    with op.batch_alter_table("catalog_forks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_forks_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_forks_upstream_code"), ["upstream_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("catalog_forks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_forks_upstream_code"))
        batch_op.drop_index(batch_op.f("ix_catalog_forks_tenant_id"))
    op.drop_table("catalog_forks")
