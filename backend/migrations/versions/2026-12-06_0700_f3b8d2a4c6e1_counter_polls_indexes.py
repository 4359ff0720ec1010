"""counters' polls: indexes for the reads a tablet and a console repeat all day

Each was answered by reading every row of the tenant (or of the queue's day), so it grew with
every visit a municipality keeps, several times a second per counter:

- a counter's open visit (the tablet's and console's every poll): partial index on the visits
  not closed, by counter and creation;
- the counter's job waiting for a PIN and its latest card read (the tablet, every second): by
  counter, then status or kind, and creation;
- a queue's waiting tickets of the day ("next", under the claim's row lock): partial index on
  the waiting tickets only.

(A counter's called or served ticket is read through ``ix_tickets_status``, whose called and
served ranges stay small: PostgreSQL kept choosing it over an index by counter.)

Revision ID: f3b8d2a4c6e1
Revises: e7a1c3d5b9f2
Create Date: 2026-12-06 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3b8d2a4c6e1"
down_revision: str | None = "e7a1c3d5b9f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_CLOSED = "status <> 'closed'"
_WAITING = "status IN ('waiting', 'transferred')"


def upgrade() -> None:
    op.create_index(
        "ix_visits_counter_open",
        "visits",
        ["counter_id", "created_at"],
        postgresql_where=sa.text(_NOT_CLOSED),
        sqlite_where=sa.text(_NOT_CLOSED),
    )
    op.create_index(
        "ix_agent_jobs_counter_status_created", "agent_jobs", ["counter_id", "status", "created_at"]
    )
    op.create_index(
        "ix_agent_jobs_counter_kind_created", "agent_jobs", ["counter_id", "kind", "created_at"]
    )
    op.create_index(
        "ix_tickets_waiting",
        "tickets",
        ["queue_id", "service_day"],
        postgresql_where=sa.text(_WAITING),
        sqlite_where=sa.text(_WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_waiting", table_name="tickets")
    op.drop_index("ix_agent_jobs_counter_kind_created", table_name="agent_jobs")
    op.drop_index("ix_agent_jobs_counter_status_created", table_name="agent_jobs")
    op.drop_index("ix_visits_counter_open", table_name="visits")
