"""devices: index by counter (the tablet's and the agent's presence at a counter)

The staff console and the tablet look up the counter's tablet (presence) and agent by
``counter_id`` several times a visit; with no index, each read every device the tenant ever
paired, revoked ones included (3 952 sequential scans of 3 951 rows in one day of
``bench/load.py``).

Revision ID: e7a1c3d5b9f2
Revises: c4d2e8f1a6b3
Create Date: 2026-12-06 05:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e7a1c3d5b9f2"
down_revision: str | None = "c4d2e8f1a6b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_devices_counter_kind", "devices", ["counter_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_devices_counter_kind", table_name="devices")
