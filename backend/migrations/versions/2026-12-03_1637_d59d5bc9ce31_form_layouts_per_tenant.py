"""form layouts per tenant

Revision ID: d59d5bc9ce31
Revises: a7c3e5b19d42
Create Date: 2026-12-03 16:37:34.247629+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.platform.db

revision: str = "d59d5bc9ce31"
down_revision: str | None = "a7c3e5b19d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_layouts",
        sa.Column(
            "form",
            sa.String(length=64),
            nullable=False,
            comment="the form it lays out, e.g. checklist",
        ),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, … per tenant and form"),
        sa.Column(
            "source", sa.Text(), nullable=False, comment="the layout as uploaded (YAML or JSON)"
        ),
        sa.Column(
            "background",
            sa.LargeBinary(),
            nullable=True,
            comment="the municipality's own PDF to fill, if any",
        ),
        sa.Column("background_sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "digest",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of source and background: what a rendering depends on",
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_form_layouts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_layouts")),
        sa.UniqueConstraint(
            "tenant_id", "form", "number", name=op.f("uq_form_layouts_tenant_id_form_number")
        ),
    )
    with op.batch_alter_table("form_layouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_layouts_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form_layouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_layouts_tenant_id"))

    op.drop_table("form_layouts")
