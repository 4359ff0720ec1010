"""tickets: indexes by day (the office's tickets of the day, a queue's recent services)

Every ticket issued, every ticket machine's list and every board read the office's waiting
tickets of the day and each queue's last services of the day. The only indexes were by office
and by (queue, status), so both statements read every ticket the office or queue ever had
(history, and the day's dead row versions): 6–10 ms each at 9 834 tickets in one day of
``bench/load.py``, growing with every day kept. These answer them by range on the day (and
the recent services backwards by finish time, ``LIMIT`` per queue), on SQLite and PostgreSQL.

Revision ID: c4d2e8f1a6b3
Revises: b3e1a7c94f20
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4d2e8f1a6b3"
down_revision: str | None = "b3e1a7c94f20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_office_day_status", "tickets", ["office_id", "service_day", "status"]
    )
    op.create_index(
        "ix_tickets_queue_day_status_finished",
        "tickets",
        ["queue_id", "service_day", "status", "finished_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_queue_day_status_finished", table_name="tickets")
    op.drop_index("ix_tickets_office_day_status", table_name="tickets")
