"""outbox: a generic message key instead of visit_id

The outbox knows topics and keys, not visits: ``outbox_messages.visit_id`` (a foreign key to
``visits``) becomes ``key`` (any string, e.g. the visit id of a hand-off). Existing rows keep
their value. No visit is ever deleted outside its tenant (whose messages go with it), so the
``ON DELETE SET NULL`` of the old foreign key had nothing left to do.

Revision ID: 8117fb05ddfd
Revises: 48b2472b5153
Create Date: 2026-12-03 08:23:03.803991
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8117fb05ddfd"
down_revision: str | None = "48b2472b5153"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMENT = "what the message is about, e.g. the visit id of a hand-off"


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=64), nullable=True, comment=COMMENT))
    op.execute("UPDATE outbox_messages SET key = visit_id")
    # Dropping the column drops its foreign key too (on SQLite the table is rebuilt without).
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("visit_id")
        batch_op.create_index("ix_outbox_messages_topic_key", ["topic", "key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_topic_key")
        batch_op.add_column(sa.Column("visit_id", sa.String(length=32), nullable=True))
    # Keys that are not visits (other topics) cannot go back under the foreign key.
    op.execute("UPDATE outbox_messages SET visit_id = key WHERE key IN (SELECT id FROM visits)")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("key")
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_visit_id_visits"),
            "visits",
            ["visit_id"],
            ["id"],
            ondelete="SET NULL",
        )
