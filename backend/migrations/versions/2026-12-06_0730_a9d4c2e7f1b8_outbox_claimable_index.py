"""outbox: a partial index on the undelivered messages, for the worker's claim

The claim read a destination's due messages through ``ix_outbox_messages_due`` as a bitmap scan,
which never marks an index entry dead: every delivered message's old entries were read again at
each claim until autovacuum came (300-400 blocks a claim under ``bench/load.py``). The partial
index holds only the undelivered messages, by destination and age, walked in order.

Revision ID: a9d4c2e7f1b8
Revises: f3b8d2a4c6e1
Create Date: 2026-12-06 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9d4c2e7f1b8"
down_revision: str | None = "f3b8d2a4c6e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNDELIVERED = "status IN ('pending', 'delivering')"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_messages_claimable",
        "outbox_messages",
        ["destination_id", "created_at"],
        postgresql_where=sa.text(_UNDELIVERED),
        sqlite_where=sa.text(_UNDELIVERED),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_claimable", table_name="outbox_messages")
