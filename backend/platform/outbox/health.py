"""How each back-office destination is doing: its last success, its last failure told in words
an admin can act on, what waits in the outbox (pending, dead letters) and its last deliveries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.platform.outbox.models import (
    DeliveryAttempt,
    Destination,
    MessageStatus,
    OutboxMessage,
)

RECENT = 5
WAITING = (MessageStatus.PENDING, MessageStatus.DELIVERING)


@dataclass(frozen=True)
class Health:
    destination: Destination
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_failure: str | None
    counts: dict[str, int]
    recent: list[OutboxMessage]


def health(session: Session, tenant_id: str) -> list[Health]:
    destinations = session.scalars(
        select(Destination).where(Destination.tenant_id == tenant_id).order_by(Destination.name)
    ).all()
    return [_health_of(session, destination) for destination in destinations]


def _health_of(session: Session, destination: Destination) -> Health:
    mine = OutboxMessage.destination_id == destination.id
    last_success = session.scalar(select(func.max(OutboxMessage.delivered_at)).where(mine))
    failure = session.execute(
        select(DeliveryAttempt.at, DeliveryAttempt.detail)
        .join(OutboxMessage, OutboxMessage.id == DeliveryAttempt.message_id)
        .where(mine, DeliveryAttempt.ok.is_(False))
        .order_by(DeliveryAttempt.at.desc())
        .limit(1)
    ).first()
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).where(mine).group_by(OutboxMessage.status)
        ).all()
    )
    recent = session.scalars(
        select(OutboxMessage).where(mine).order_by(OutboxMessage.created_at.desc()).limit(RECENT)
    ).all()
    return Health(
        destination,
        last_success,
        failure.at if failure else None,
        failure.detail if failure else None,
        {status: int(n) for status, n in counts.items()},
        list(recent),
    )


# --- an adapter's error (integrations/*: one technical line) told in words ---------------

_IN_WORDS: tuple[tuple[str, str], ...] = (
    (
        r"^timeout after ([\d.]+)s",
        "受信側が {0} 秒以内に応答しませんでした。受信側のサーバーが動いているか確認してください。",
    ),
    (
        r"^HTTP (401|403)",
        "受信側が認証エラー（{0}）を返しました。"
        "署名の秘密鍵（whsec_…）が受信側と同じか確認してください。",
    ),
    (
        r"^HTTP (404|410)",
        "受信側が「見つからない」（{0}）を返しました。送信先の URL を確認してください。",
    ),
    (
        r"^HTTP (4\d\d)",
        "受信側がデータを受け付けませんでした（HTTP {0}）。受信側の記録を確認してください。",
    ),
    (
        r"^HTTP (5\d\d)",
        "受信側のサーバーでエラーが起きています（HTTP {0}）。時間をおいて自動で再送します。",
    ),
    (
        r"^(?:ConnectError|ConnectionRefused|cannot connect)",
        "受信側に接続できませんでした。"
        "送信先のアドレスと、受信側のサーバーが動いているかを確認してください。",
    ),
    (
        r"^cannot write to",
        "CSV の置き場所に書き込めませんでした。"
        "フォルダーの場所と書き込み権限、空き容量を確認してください。",
    ),
    (
        r"^unroutable",
        "メッセージキューに、このルーティングキーで受け取るキューがありません。"
        "キューの設定を確認してください。",
    ),
    (
        r"nack",
        "メッセージキューが受け取りを拒否しました。キューの容量や設定を確認してください。",
    ),
    (
        r"^interrupted",
        "送信の途中で配信処理が止まりました。自動で再送します。",
    ),
)


def in_words(detail: str | None) -> str | None:
    """``detail`` as a sentence saying what happened and what to check (Japanese)."""
    if not detail:
        return None
    for pattern, sentence in _IN_WORDS:
        found = re.search(pattern, detail)
        if found:
            return sentence.format(*found.groups())
    return "送信できませんでした。詳しい内容は下の記録を確認してください。"
