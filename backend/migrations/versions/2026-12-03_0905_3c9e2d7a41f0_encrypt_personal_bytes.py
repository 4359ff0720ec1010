"""encrypt personal bytes: documents.content and agent_jobs.data

The rendered PDFs (name, kana, addresses, birth date, phone) and the bytes queued for a
printer were stored as they are, while every other personal column was ciphertext. The columns
stay binary; their values are now sealed with the keyring (``EncryptedBytes``). Upgrade
encrypts every row that does not decrypt yet; downgrade decrypts every row back to plain bytes.
Row by row, so a large table is not held in memory at once.

Revision ID: 3c9e2d7a41f0
Revises: 8117fb05ddfd
Create Date: 2026-12-03 09:05:00.000000
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from backend.platform.crypto import DecryptionFailed, get_keyring

revision: str = "3c9e2d7a41f0"
down_revision: str | None = "8117fb05ddfd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("documents", "content"), ("agent_jobs", "data"))


def _sealed(value: bytes) -> bool:
    try:
        get_keyring().decrypt_bytes(value)
    except DecryptionFailed:
        return False
    return True


def _rewrite(table: str, column: str, change: Callable[[bytes], bytes | None]) -> None:
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.String), sa.column(column, sa.LargeBinary))
    ids = bind.execute(sa.select(rows.c.id).where(rows.c[column].is_not(None))).scalars().all()
    for row_id in ids:
        value = bind.execute(sa.select(rows.c[column]).where(rows.c.id == row_id)).scalar_one()
        new = change(bytes(value))
        if new is not None:
            bind.execute(sa.update(rows).where(rows.c.id == row_id).values({column: new}))


def upgrade() -> None:
    ring = get_keyring()
    for table, column in COLUMNS:
        _rewrite(table, column, lambda v: None if _sealed(v) else ring.encrypt_bytes(v))


def downgrade() -> None:
    ring = get_keyring()
    for table, column in COLUMNS:
        _rewrite(table, column, lambda v: ring.decrypt_bytes(v) if _sealed(v) else None)
