"""free text encrypted at rest: visits.facts and household_members.attributes

A clerk may type anything into a note (a 12-digit number went into every row), so the visit's
facts and a member's attributes are stored as ciphertext (``EncryptedJSON``) like every other
personal column. Existing rows are read and written into a new text column encrypted with
the current keyring, which then takes the old column's place; the downgrade decrypts them back
into JSON.

Revision ID: 5e1f0c7a9d21
Revises: 3c9e2d7a41f0
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import backend.platform.db

revision: str = "5e1f0c7a9d21"
down_revision: str | None = "3c9e2d7a41f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, old comment, new comment)
COLUMNS: tuple[tuple[str, str, str | None, str], ...] = (
    ("visits", "facts", None, "free text and answers, encrypted"),
    (
        "household_members",
        "attributes",
        "insurance, care_certified, … (no personal identifiers)",
        "insurance, care_certified, …, encrypted",
    ),
)


def _rows(table: str, column: str, kind: Any) -> list[tuple[str, Any]]:
    view = sa.table(table, sa.column("id", sa.String), sa.column(column, kind))
    result = op.get_bind().execute(sa.select(view.c.id, view.c[column]))
    return [(row[0], row[1]) for row in result]


def _replace(table: str, column: str, kind: Any, comment: str | None, decode: Any) -> None:
    """Give ``column`` the type ``kind``, converting every row's value with ``decode``.

    A new column is added, filled, and renamed over the old one, each step a native ALTER:
    on SQLite a batch (copy-and-move) of ``visits`` would drop the table, and with foreign
    keys on, that deletes every member, document and signature by cascade.
    """
    rows = _rows(table, column, decode)
    new = f"{column}_new"
    bind = op.get_bind()
    op.add_column(
        table,
        sa.Column(new, kind, nullable=False, server_default="{}", comment=comment),
    )
    view = sa.table(table, sa.column("id", sa.String), sa.column(new, kind))
    for row_id, value in rows:
        bind.execute(sa.update(view).where(view.c.id == row_id).values({new: value or {}}))
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {column}")
    if bind.dialect.name != "sqlite":  # SQLite keeps the default (compare ignores it)
        op.alter_column(table, column, server_default=None)


def upgrade() -> None:
    for table, column, _old_comment, comment in COLUMNS:
        _replace(table, column, backend.platform.db.EncryptedJSON(), comment, sa.JSON())


def downgrade() -> None:
    for table, column, old_comment, _comment in COLUMNS:
        _replace(table, column, sa.JSON(), old_comment, backend.platform.db.EncryptedJSON())
