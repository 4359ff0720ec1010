"""residents' languages: queue names in zh-Hans/ko/vi/pt, a ticket's and a visit's language

Queues get ``name_translations`` (language → name, beside name_ja / name_en), backfilled for
the demo seed's three queues; tickets keep the language chosen on the ticket machine; visits
keep the resident's language (the pre-entry's, else the ticket's) so the tablet opens in it.

Revision ID: 5a7c3e91d2b4
Revises: 487f0bc2625b
Create Date: 2026-12-04 21:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a7c3e91d2b4"
down_revision: str | None = "487f0bc2625b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The demo seed's queues (backend/seed.py DEMO_QUEUES), by their Japanese and English names;
# a municipality's own queue with exactly these names gets them too (it can edit them).
DEMO_NAMES: dict[tuple[str, str], dict[str, str]] = {
    ("転入・転出・転居", "Moving in / out"): {
        "zh-Hans": "迁入・迁出・迁居",
        "ko": "전입・전출・전거",
        "vi": "Chuyển đến / Chuyển đi",
        "pt": "Mudança (entrada / saída)",
    },
    ("証明書", "Certificates"): {
        "zh-Hans": "证明书",
        "ko": "증명서",
        "vi": "Giấy chứng nhận",
        "pt": "Certidões",
    },
    ("国保・年金", "Health insurance / Pension"): {
        "zh-Hans": "国民健康保险・年金",
        "ko": "국민건강보험・연금",
        "vi": "Bảo hiểm y tế / Lương hưu",
        "pt": "Seguro de saúde / Pensão",
    },
}


def upgrade() -> None:
    # Plain ADD COLUMNs, not batch mode: on SQLite a batch recreates the table, and dropping the
    # old one would cascade to every ticket and visit row.
    op.add_column(
        "queues",
        sa.Column(
            "name_translations",
            sa.JSON(),
            server_default="{}",
            nullable=False,
            comment="the name in zh-Hans, ko, vi, pt (language → name); missing: English",
        ),
    )
    op.add_column(
        "tickets",
        sa.Column(
            "lang",
            sa.String(length=8),
            server_default="ja",
            nullable=False,
            comment="the language chosen on the ticket machine: slip, phone page, tablet",
        ),
    )
    op.add_column(
        "visits",
        sa.Column(
            "resident_lang",
            sa.String(length=8),
            nullable=True,
            comment="the pre-entry's or the ticket's language: the tablet opens in it",
        ),
    )
    queues = sa.table(
        "queues",
        sa.column("name_ja", sa.String),
        sa.column("name_en", sa.String),
        sa.column("name_translations", sa.JSON),
    )
    for (name_ja, name_en), names in DEMO_NAMES.items():
        op.get_bind().execute(
            sa.update(queues)
            .where(queues.c.name_ja == name_ja, queues.c.name_en == name_en)
            .values(name_translations=names)
        )


def downgrade() -> None:
    op.drop_column("visits", "resident_lang")  # SQLite 3.35+: ALTER TABLE DROP COLUMN
    op.drop_column("tickets", "lang")
    op.drop_column("queues", "name_translations")
