"""``/api/v1/core/lookup`` for the staff console: prefill, or a clear error for manual entry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.corelink.service import get_core_system
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from integrations.core.http import HttpCoreSystem
from integrations.core.simulator import DEMO_ADDRESS, CoreSimulatorServer, start_in_thread


@pytest.fixture
def simulator(client: TestClient) -> Iterator[CoreSimulatorServer]:
    server = start_in_thread()
    app = client.app
    app.dependency_overrides[get_core_system] = lambda: HttpCoreSystem(server.url, 0.5)  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def _login(client: TestClient, db: Session, username: str = "clerk") -> dict[str, str]:
    seed_demo(db)
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    return {"x-csrf-token": response.json()["csrf_token"]}


def test_lookup_by_code_and_by_attributes(
    client: TestClient, db: Session, simulator: CoreSimulatorServer
) -> None:
    headers = _login(client, db)
    by_code = client.get("/api/v1/core/lookup", params={"resident_code": "99100700011"})
    assert by_code.status_code == 200, by_code.text
    (resident,) = by_code.json()["residents"]
    assert resident["domicile_head"] == "窓口　太郎" and resident["household_id"] == "H0001"
    body = {"name": "窓口　一郎", "birth_date": "2015-06-10", "address": DEMO_ADDRESS}
    by_attributes = client.post("/api/v1/core/lookup", json=body, headers=headers)
    assert by_attributes.json()["residents"][0]["relationship"] == "子"
    certificate = client.post(
        "/api/v1/core/moving-out-certificate", json={"resident_code": "99100800055"},
        headers=headers,
    )  # fmt: skip
    assert certificate.json()["from_municipality"] == "転出デモ町"


def test_incomplete_query_is_refused(
    client: TestClient, db: Session, simulator: CoreSimulatorServer
) -> None:
    _login(client, db)
    response = client.get("/api/v1/core/lookup", params={"name": "窓口　太郎"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("fault", "code"),
    [({"down": True}, "core_unavailable"), ({"delay_seconds": 1.5}, "core_timeout")],
)
def test_outage_gives_a_code_and_a_japanese_message_for_manual_entry(
    client: TestClient, db: Session, simulator: CoreSimulatorServer, fault: dict, code: str
) -> None:
    _login(client, db)
    simulator.state.down = bool(fault.get("down"))
    simulator.state.delay_seconds = float(fault.get("delay_seconds", 0))
    response = client.get("/api/v1/core/lookup", params={"resident_code": "99100700011"})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == code and error["manual_entry"] is True
    assert "手入力" in error["message"]


def test_back_office_may_not_query_the_core_system(
    client: TestClient, db: Session, simulator: CoreSimulatorServer
) -> None:
    _login(client, db, "backoffice")
    response = client.get("/api/v1/core/lookup", params={"resident_code": "99100700011"})
    assert response.status_code == 403
