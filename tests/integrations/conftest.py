"""Fixtures for the delivery adapters: a sample hand-off and a loopback webhook receiver."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contracts import ProcedureResult, VisitRecord
from contracts.handoff import DocumentLink, Handoff
from integrations.receiver import WebhookReceiver
from tests.conftest import require_service as shared_require_service

SECRET = "whsec_" + "bWFkb2d1Y2hpLXRlc3Qtc2VjcmV0LTMyYnl0ZXMhIQ=="

RECORD: dict[str, Any] = {
    "schema": "madoguchi.visit/1",
    "tenant": {"code": "991007", "name": "窓口デモ市"},
    "event": "moving-in",
    "event_date": "2026-11-20",
    "filed_on": "2026-11-24",
    "previous_address": "転出デモ町中央１－１－１",
    "new_address": "窓口デモ市本町一丁目２番３号",
    "household_head": "窓口　太郎",
    "applicant": {"name": "窓口　太郎", "relationship": "本人", "phone": "090-0000-0000"},
    "members": [
        {"name": "窓口　太郎", "kana": "マドグチ　タロウ", "birth_date": "1985-04-01", "sex": "1",
         "relationship": "世帯主", "source": "card"},
        {"name": "窓口　花子", "kana": "マドグチ　ハナコ", "birth_date": "1987-08-15", "sex": "2",
         "relationship": "妻", "source": "staff"},
    ],
}  # fmt: skip


def procedure(pid: str, name: str, members: list[int] | None = None) -> ProcedureResult:
    return ProcedureResult(
        id=pid,
        name=name,
        department="市民課",
        counter={"id": "1", "name": "1番窓口"},
        reasons=["転入したため"],
        members=members or [],
    )


def build_handoff(record: dict[str, Any] | None = None, **changes: Any) -> Handoff:
    values: dict[str, Any] = {
        "idempotency_key": "handoff-v1test-dest-v1",
        "version": 1,
        "visit_id": "v1test",
        "tenant": {"code": "991007", "name": "窓口デモ市"},
        "destination": "test",
        "created_at": dt.datetime(2026, 11, 24, 1, 2, 3, tzinfo=dt.UTC),
        "record": VisitRecord.model_validate(record or RECORD),
        "procedures": [
            procedure("moving-in", "転入届"),
            procedure("nhi-join", "国民健康保険 加入", members=[1]),
        ],
        "documents": [
            DocumentLink(id="d1", form="moving-in", sha256="0" * 64, url="http://x/api/v1/d1")
        ],
    }
    values.update(changes)
    return Handoff.model_validate(values)


@pytest.fixture
def require_service() -> Callable[[bool, str], None]:
    return shared_require_service


@pytest.fixture
def record_data() -> dict[str, Any]:
    """A fresh copy of the sample visit record, to change in a test."""
    return copy.deepcopy(RECORD)


@pytest.fixture
def make_handoff() -> Callable[..., Handoff]:
    return build_handoff


@pytest.fixture
def webhook_secret() -> str:
    return SECRET


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(SECRET).start()
    yield server
    server.stop()
