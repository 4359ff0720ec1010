"""Cases for the workbench tests: a handed-off visit with procedures and names to check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from backend.counter.handoff import enqueue_handoff
from backend.counter.models import Visit
from tests.backend.outbox.conftest import (  # noqa: F401
    committed_db,
    handoff_helpers,
    live_server,
    receiver,
)

RECORD: dict[str, Any] = {
    "schema": "madoguchi.visit/1",
    "tenant": {"code": "991007", "name": "窓口デモ市"},
    "event": "moving-in",
    "event_date": "2026-11-20",
    "filed_on": "2026-11-24",
    "new_address": "窓口デモ市本町一丁目２番３号",
    "reception_label": "A-001 2026-11-24",
    "members": [
        {"name": "髙橋　𠮷男", "kana": "タカハシ　ヨシオ", "birth_date": "1985-04-01",
         "sex": "1", "source": "card"},
        {"name": "髙橋　花子", "birth_date": "1987-06-02", "sex": "2", "source": "staff"},
    ],
    "unresolved": [{"question": "members.1.care_certified", "reason": "本人不在"}],
}  # fmt: skip
COUNTER = {"id": "shimin-idou", "name": "市民課 住民異動"}


def procedure(pid: str, name: str, department: str, deadline: str | None) -> dict[str, Any]:
    return {"id": pid, "name": name, "department": department, "counter": COUNTER,
            "reasons": ["他の市区町村から引っ越してきたため"], "deadline": deadline}  # fmt: skip


PROCEDURES = [
    procedure("moving-in", "住民記録（転入届）", "市民課", "2026-12-01"),
    procedure("nhi-join", "国民健康保険の加入", "保険年金課", "2099-12-31"),
    procedure("dog", "犬の登録事項変更", "環境衛生課", None),
]


def hand_off(
    session: Session, tenant_id: str, label: str = "A-001 2026-11-24", **changes: Any
) -> Visit:
    """A closed visit handed off with ``RECORD`` (changed by ``changes``) and ``PROCEDURES``."""
    session.info["tenant_id"] = tenant_id
    visit = Visit(tenant_id=tenant_id, status="closed", event="moving-in",
                  closed_at=dt.datetime.now(dt.UTC))  # fmt: skip
    session.add(visit)
    session.flush()
    record = RECORD | {"reception_label": label} | changes
    enqueue_handoff(session, visit, record, [], procedures=PROCEDURES)
    return visit
