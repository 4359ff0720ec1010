"""The core system at the counter: after a card read, kana, 本籍, the household and benefits come
from the core system (marked ``core``); where the card and the core differ, the clerk sees both;
a 転入 takes in the 転出証明書情報; without a core system, or with it down, one calm notice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.corelink.service import get_core_system
from backend.counter import service
from backend.platform.settings import get_settings
from integrations.core.http import HttpCoreSystem
from integrations.core.simulator import CoreSimulatorServer, start_in_thread
from tests.backend.counter.conftest import Clerk
from tests.backend.counter.conftest import clerk as clerk
from tests.backend.counter.conftest import demo as demo

ON_CARD_ADDRESS = "窓口県窓口デモ市本町１－２－３"  # the core says 窓口デモ市本町一丁目２番３号


@pytest.fixture
def simulator(client: TestClient) -> Iterator[CoreSimulatorServer]:
    server = start_in_thread()
    app: Any = client.app
    app.dependency_overrides[get_core_system] = lambda: HttpCoreSystem(server.url, 0.5)
    yield server
    app.dependency_overrides.pop(get_core_system, None)
    server.shutdown()
    server.server_close()


def _visit_with_card(
    clerk: Clerk, db: Session, name: str, address: str, born: str, sex: str
) -> str:
    response = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id})
    visit_id: str = response.json()["id"]
    visit = service.get_visit(db, visit_id)
    service.add_card_member(db, visit, service.CardFields(name, address, born, sex), job_id=None)
    return visit_id


def _match(clerk: Clerk, visit_id: str) -> dict[str, Any]:
    response = clerk.post(f"/api/v1/core/visits/{visit_id}/match")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _members(clerk: Clerk, visit_id: str) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = clerk.get(f"/api/v1/visits/{visit_id}").json()["members"]
    return members


def test_a_card_read_fills_kana_and_the_household_from_the_core(
    clerk: Clerk, db: Session, simulator: CoreSimulatorServer
) -> None:
    visit_id = _visit_with_card(clerk, db, "窓口　花子", ON_CARD_ADDRESS, "19870815", "2")
    result = _match(clerk, visit_id)
    assert result["status"] == "matched" and result["notice"] is None
    assert result["added_members"] == 2 and result["differences"] == {}  # 本町１－２－３ matched
    card, *others = _members(clerk, visit_id)
    assert card["source"] == "card" and card["address"] == ON_CARD_ADDRESS  # as read, kept
    assert card["kana"] == "マドグチ　ハナコ" and card["relationship"] == "妻"
    assert card["domicile"] == "窓口デモ市本町一丁目２番地"
    assert card["domicile_head"] == "窓口　太郎"
    assert card["field_sources"]["kana"] == "core" and card["field_sources"]["domicile"] == "core"
    assert [(m["name"], m["kana"], m["relationship"], m["source"]) for m in others] == [
        ("窓口　太郎", "マドグチ　タロウ", "世帯主", "core"),
        ("窓口　一郎", "マドグチ　イチロウ", "子", "core"),
    ]
    clerk.patch(f"/api/v1/visits/{visit_id}", {"event": "certificate"})
    record = clerk.get(f"/api/v1/visits/{visit_id}/record").json()
    assert record["household_head"] == "窓口　太郎"
    assert record["members"][0]["field_sources"]["kana"] == "core"
    assert record["members"][0]["resident_code"] == "99100700022"
    # once matched, a second call asks nothing and adds nobody
    assert _match(clerk, visit_id)["status"] == "nothing_to_do"
    assert len(_members(clerk, visit_id)) == 3
    # the clerk corrects the kana: it is the clerk's now
    member_id = card["id"]
    clerk.patch(f"/api/v1/visits/{visit_id}/members/{member_id}", {"kana": "マドグチ　ハナ"})
    assert "kana" not in _members(clerk, visit_id)[0]["field_sources"]


def test_a_different_address_on_the_card_is_shown_as_a_difference(
    clerk: Clerk, db: Session, simulator: CoreSimulatorServer
) -> None:
    on_card = "窓口県窓口デモ市北町９－９"
    visit_id = _visit_with_card(clerk, db, "市民　トメ", on_card, "19400115", "2")
    result = _match(clerk, visit_id)
    assert result["status"] == "matched"
    card, *household = _members(clerk, visit_id)
    assert result["differences"] == {
        card["id"]: [{"field": "address", "card": on_card, "core": "窓口デモ市南町三丁目４番５号"}]
    }
    assert card["core_differences"] == [
        {"field": "address", "card": on_card, "core": "窓口デモ市南町三丁目４番５号"}
    ]
    assert card["address"] == on_card  # the clerk decides; the card's text stays
    assert len(household) == 4 and result["added_members"] == 4
    # who receives what: 国保 and a 介護認定 as recorded, marked core
    assert card["insurance"] == "national_health" and card["care_certified"] is True
    assert card["field_sources"]["insurance"] == "core"
    assert card["field_sources"]["care_certified"] == "core"


def test_moving_in_takes_in_the_moving_out_certificate(
    clerk: Clerk, db: Session, simulator: CoreSimulatorServer
) -> None:
    visit_id = _visit_with_card(
        clerk, db, "転居　三郎", "転出デモ町中央１－１－１", "19901224", "1"
    )
    result = _match(clerk, visit_id)
    assert result["moving_out"] == {
        "from_municipality": "転出デモ町",
        "previous_address": "転出デモ町中央１－１－１",
        "planned_date": "2026-11-20",
        "members": 2,
    }
    visit = clerk.get(f"/api/v1/visits/{visit_id}").json()
    assert visit["previous_address"] == "転出デモ町中央１－１－１"
    card, spouse = visit["members"]
    assert card["kana"] == "テンキョ　サブロウ" and card["domicile"] == "転出デモ町中央１番地"
    assert (spouse["name"], spouse["relationship"], spouse["source"]) == (
        "転居　由美", "妻", "core")  # fmt: skip


@pytest.mark.parametrize("fault", [{"down": True}, {"delay_seconds": 1.5}])
def test_with_the_core_down_the_counter_goes_on_with_one_notice(
    clerk: Clerk, db: Session, simulator: CoreSimulatorServer, fault: dict[str, Any]
) -> None:
    import httpx

    httpx.post(f"{simulator.url}/_control", json=fault)
    visit_id = _visit_with_card(clerk, db, "窓口　花子", ON_CARD_ADDRESS, "19870815", "2")
    result = _match(clerk, visit_id)
    assert result["status"] == "unavailable"
    assert result["notice"] == "基幹システムに接続できません。照会せずに、これまでどおり続けます。"
    (card,) = _members(clerk, visit_id)
    assert card["kana"] is None and card["field_sources"] == {}


def test_without_a_core_system_nothing_is_asked(
    clerk: Clerk, db: Session, simulator: CoreSimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "core_url", "")
    visit_id = _visit_with_card(clerk, db, "窓口　花子", ON_CARD_ADDRESS, "19870815", "2")
    result = _match(clerk, visit_id)
    assert result["status"] == "not_configured" and result["notice"]
    assert simulator.state.requests == 0
