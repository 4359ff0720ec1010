"""Free text on a visit (facts, answers, notes): encrypted at rest, no 個人番号 in it, and no
fact in a hand-off unless the destination's contract names it (issue 14, item 6)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from backend.counter.handoff import enqueue_handoff
from backend.counter.models import HouseholdMember, Visit
from backend.identity.tenants.models import Tenant
from backend.platform import migrate
from backend.platform.db import make_engine
from backend.platform.outbox import service as outbox
from backend.platform.outbox.models import Destination
from backend.platform.outbox.schemas import DestinationCreate
from contracts.individual_number import check_digit, contains_individual_number
from tests.backend.counter.conftest import Clerk
from tests.conftest import _backends, scratch_postgres_url

# Synthetic numbers: the first is a valid 個人番号 (its check digit is right), the second is
# the same eleven digits with a wrong twelfth digit.
ELEVEN = "31415926535"
VALID = ELEVEN + str(check_digit(ELEVEN))
INVALID = ELEVEN + str((check_digit(ELEVEN) + 1) % 10)
NOTE = "転入前は海外在住、旧姓で届出あり"
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _open(clerk: Clerk) -> str:
    response = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# --- at rest ------------------------------------------------------------------------------


def test_facts_and_attributes_are_ciphertext_in_the_database(clerk: Clerk, db: Session) -> None:
    vid = _open(clerk)
    patched = clerk.patch(f"/api/v1/visits/{vid}", {"facts": {"note": NOTE, "abroad": True}})
    assert patched.status_code == 200, patched.text
    member = clerk.post(
        f"/api/v1/visits/{vid}/members", {"name": "試験　花子", "residence_status": "永住者"}
    )
    assert member.status_code == 201, member.text
    # Through the model the text reads back exactly ...
    db.expire_all()
    visit = db.get(Visit, vid)
    assert visit is not None and visit.facts == {"note": NOTE, "abroad": True}
    # ... while the raw columns hold only ciphertext.
    raw_facts = db.execute(text("SELECT facts FROM visits WHERE id = :id"), {"id": vid}).scalar()
    raw_attributes = db.execute(
        text("SELECT attributes FROM household_members WHERE visit_id = :id"), {"id": vid}
    ).scalar()
    for raw in (raw_facts, raw_attributes):
        assert isinstance(raw, str)
        assert "note" not in raw and NOTE not in raw and "永住者" not in raw
        assert "residence_status" not in raw


@pytest.fixture(params=_backends())
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        with scratch_postgres_url("madoguchi_facts") as url:
            yield url


def test_the_migration_encrypts_existing_free_text(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            command.upgrade(migrate.alembic_config(connection=connection), "3c9e2d7a41f0")
        # Rows as that revision had them: raw SQL, since today's models have later columns.
        tenant_id = "t1"
        with engine.begin() as connection:
            now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).isoformat()
            connection.execute(
                text("INSERT INTO tenants (id, code, name, timezone, retention_days, created_at,"
                     " updated_at) VALUES (:t, '991007', '窓口デモ市', 'Asia/Tokyo', 30, :n, :n)"),
                {"t": tenant_id, "n": now},
            )  # fmt: skip
            connection.execute(
                text("INSERT INTO visits (id, tenant_id, status, facts, certificates,"
                     " created_at, updated_at) VALUES ('v1', :t, 'open', :f, '[]', :n, :n)"),
                {"t": tenant_id, "f": json.dumps({"note": NOTE}, ensure_ascii=False), "n": now},
            )  # fmt: skip
            connection.execute(
                text("INSERT INTO household_members (id, tenant_id, visit_id, position, name,"
                     " source, attributes, created_at, updated_at)"
                     " VALUES ('m1', :t, 'v1', 0, 'x', 'staff', :a, :n, :n)"),
                {"t": tenant_id, "a": '{"residence_status": "永住者"}', "n": now},
            )  # fmt: skip
        migrate.upgrade(engine)
        with engine.connect() as connection:
            raw = connection.execute(text("SELECT facts FROM visits")).scalar()
            raw_attributes = connection.execute(
                text("SELECT attributes FROM household_members")
            ).scalar()
        assert NOTE not in raw and "永住者" not in raw_attributes
        with Session(engine, info={"unscoped": True}) as session:
            visit = session.scalars(select(Visit)).one()
            attributes = session.scalars(select(HouseholdMember.attributes)).one()
            assert visit.facts == {"note": NOTE}
            assert attributes == {"residence_status": "永住者"}
        # and back: the downgrade decrypts into plain JSON (and keeps the rows)
        with engine.begin() as connection:
            command.downgrade(migrate.alembic_config(connection=connection), "3c9e2d7a41f0")
        with engine.connect() as connection:
            raw = connection.execute(text("SELECT facts FROM visits")).scalar()
        assert (json.loads(raw) if isinstance(raw, str) else raw) == {"note": NOTE}
    finally:
        engine.dispose()


# --- 個人番号 in free text ------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        VALID,
        f"{VALID[:4]} {VALID[4:8]} {VALID[8:]}",
        f"{VALID[:4]}-{VALID[4:8]}-{VALID[8:]}".translate(FULL_WIDTH),
        f"本人の番号は{VALID}です",
    ],
)
def test_a_valid_individual_number_in_a_note_is_refused(clerk: Clerk, written: str) -> None:
    vid = _open(clerk)
    response = clerk.patch(f"/api/v1/visits/{vid}", {"facts": {"note": written}})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "individual_number_in_free_text"
    assert error["field"] == "facts.note"
    assert "個人番号" in error["message"] and VALID not in response.text
    assert clerk.get(f"/api/v1/visits/{vid}").json()["facts"] == {}


def test_a_valid_individual_number_as_a_facts_name_is_refused(clerk: Clerk) -> None:
    vid = _open(clerk)
    response = clerk.patch(f"/api/v1/visits/{vid}", {"facts": {VALID: True}})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "facts"
    assert VALID not in response.text


def test_a_valid_individual_number_in_a_member_field_is_refused(clerk: Clerk) -> None:
    vid = _open(clerk)
    response = clerk.post(
        f"/api/v1/visits/{vid}/members", {"name": "試験　花子", "residence_status": VALID}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "residence_status"
    address = clerk.patch(f"/api/v1/visits/{vid}", {"new_address": f"本町1-2-3 {VALID}"})
    assert address.status_code == 422
    assert address.json()["error"]["field"] == "new_address"


def test_a_twelve_digit_number_with_a_wrong_check_digit_is_accepted(clerk: Clerk) -> None:
    vid = _open(clerk)
    response = clerk.patch(f"/api/v1/visits/{vid}", {"facts": {"note": f"受付番号 {INVALID}"}})
    assert response.status_code == 200, response.text
    assert response.json()["facts"] == {"note": f"受付番号 {INVALID}"}


def test_the_detector() -> None:
    assert contains_individual_number(VALID)
    assert contains_individual_number(VALID.translate(FULL_WIDTH))
    assert not contains_individual_number(INVALID)
    assert not contains_individual_number("1" + VALID)  # a longer number is another number
    assert not contains_individual_number("電話 03-1234-5678")
    assert contains_individual_number(f"電話 03-1234-5678、番号 {VALID[:6]}-{VALID[6:]}")


# --- facts in hand-off payloads -----------------------------------------------------------

RECORD: dict[str, Any] = {
    "schema": "madoguchi.visit/1",
    "tenant": {"code": "991007", "name": "窓口デモ市"},
    "event": "moving-in",
    "event_date": "2026-11-20",
    "filed_on": "2026-11-24",
    "new_address": "窓口デモ市本町一丁目２番３号",
    "members": [{"name": "窓口　太郎", "birth_date": "1985-04-01", "sex": "1", "source": "card"}],
    "facts": {"note": NOTE, "abroad": True},
}


def test_a_payload_carries_only_the_facts_its_destination_names(db: Session, demo: Tenant) -> None:
    db.info["tenant_id"] = demo.id
    db.execute(delete(Destination))
    for body in (
        {"name": "hook", "kind": "webhook", "secret": "whsec_x",
         "config": {"url": "https://backoffice.invalid/hook"}},
        {"name": "feed", "kind": "pull", "config": {"facts": ["abroad"]}},
    ):  # fmt: skip
        outbox.create_destination(db, demo.id, DestinationCreate.model_validate(body))
    visit = Visit(tenant_id=demo.id, status="closed", event="moving-in")
    db.add(visit)
    db.flush()
    messages = enqueue_handoff(db, visit, copy.deepcopy(RECORD), [])
    payloads = {m.destination: m.payload for m in messages}
    assert payloads["hook"]["record"].get("facts", {}) == {}
    assert payloads["feed"]["record"]["facts"] == {"abroad": True}
    for payload in payloads.values():
        assert NOTE not in str(payload)
