"""Answers the municipality already holds come from the core system, marked ``core``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from guidance_builders import visit
from sqlalchemy.orm import Session
from test_guidance_api import login

from backend.corelink.service import get_core_system
from backend.guidance.catalog import CompiledCatalog
from backend.guidance.core_answers import with_core_answers
from backend.guidance.engine import evaluate
from backend.seed import DEMO_TENANT_CODE, seed_demo
from contracts import VisitRecord
from integrations.core import CoreBenefits, CoreNotFound, CoreUnavailable
from integrations.core.http import HttpCoreSystem
from integrations.core.simulator import CoreSimulatorServer, start_in_thread

HEAD_CODE, WIFE_CODE, CHILD_CODE = "99100700011", "99100700022", "99100700033"


class FakeCore:
    """A core system that knows some residents' benefits (and counts the calls)."""

    def __init__(self, known: dict[str, CoreBenefits]) -> None:
        self.known = known
        self.calls = 0

    def benefits(self, resident_code: str) -> CoreBenefits:
        self.calls += 1
        if resident_code not in self.known:
            raise CoreNotFound()
        return self.known[resident_code]


class DownCore:
    def benefits(self, resident_code: str) -> CoreBenefits:
        raise CoreUnavailable()


def member(relationship: str, born: str, code: str | None, **fields: object) -> dict[str, object]:
    found = {"name": f"見本　{relationship}", "relationship": relationship, "birth_date": born}
    return {**found, **({"resident_code": code} if code else {}), **fields}


def birth_in_a_receiving_household() -> VisitRecord:
    return visit(
        "birth",
        [
            member("世帯主", "1985-04-01", HEAD_CODE),
            member("妻", "1987-08-15", WIFE_CODE),
            member("長男", "2015-06-10", CHILD_CODE),
            member("次男", "2026-11-20", None, insurance="employee"),
        ],
        defaults=False,
    )


RECORDS = {
    HEAD_CODE: CoreBenefits(
        resident_code=HEAD_CODE,
        national_health=True,
        care_certified=False,
        disability_certificate=True,
        child_allowance_recipient=True,
    )
}


def test_what_the_core_system_holds_is_not_asked(catalog: CompiledCatalog) -> None:
    record = birth_in_a_receiving_household()
    asked = {q.id for q in evaluate(record, catalog).questions}
    assert "members.0.receives_child_allowance" in asked
    filled = with_core_answers(record, FakeCore(RECORDS))
    head = filled.members[0]
    assert head.insurance == "national_health" and head.disability_certificate is True
    assert head.field_sources == {
        "insurance": "core",
        "care_certified": "core",
        "disability_certificate": "core",
    }
    assert filled.facts["members.0.receives_child_allowance"] is True
    assert filled.fact_sources == {"members.0.receives_child_allowance": "core"}
    result = evaluate(filled, catalog)
    assert "members.0.receives_child_allowance" not in {q.id for q in result.questions}
    procedures = {p.id for p in result.procedures}
    assert "child-allowance-revision" in procedures and "child-allowance" not in procedures


def test_the_clerks_answer_wins_over_the_core_system() -> None:
    record = birth_in_a_receiving_household()
    record.members[0].disability_certificate = False
    record.facts["members.0.receives_child_allowance"] = False
    filled = with_core_answers(record, FakeCore(RECORDS))
    assert filled.members[0].disability_certificate is False
    assert "disability_certificate" not in filled.members[0].field_sources
    assert filled.facts["members.0.receives_child_allowance"] is False
    assert filled.fact_sources == {}


def test_members_without_a_record_are_asked(catalog: CompiledCatalog) -> None:
    core = FakeCore({})
    filled = with_core_answers(birth_in_a_receiving_household(), core)
    assert core.calls == 3  # the newborn has no 住民票コード yet
    assert filled == birth_in_a_receiving_household()


def test_a_member_without_a_resident_code_is_not_looked_up() -> None:
    record = visit("moving-in", [member("世帯主", "1980-01-01", None)])
    core = FakeCore(RECORDS)
    assert with_core_answers(record, core) == record
    assert core.calls == 0


@pytest.fixture
def simulator(client: TestClient) -> Iterator[CoreSimulatorServer]:
    server = start_in_thread()
    client.app.dependency_overrides[get_core_system] = lambda: HttpCoreSystem(server.url, 0.5)  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def demo_birth() -> dict[str, object]:
    data = birth_in_a_receiving_household().to_json_dict()
    data["tenant"] = {"code": DEMO_TENANT_CODE, "name": "窓口デモ市"}
    return data


def test_the_guidance_api_reads_the_core_simulator(
    client: TestClient, db: Session, simulator: CoreSimulatorServer
) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    asked = client.post("/api/v1/guidance", json={"visit": demo_birth()}, headers=headers)
    assert "members.0.receives_child_allowance" in {q["id"] for q in asked.json()["questions"]}
    filled = client.post(
        "/api/v1/guidance", json={"visit": demo_birth(), "core_answers": True}, headers=headers
    )
    assert filled.status_code == 200, filled.text
    body = filled.json()
    assert "members.0.receives_child_allowance" not in {q["id"] for q in body["questions"]}
    assert "child-allowance-revision" in {p["id"] for p in body["procedures"]}


def test_without_an_answer_from_the_core_system_the_engine_asks(
    client: TestClient, db: Session, simulator: CoreSimulatorServer
) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    simulator.state.down = True
    response = client.post(
        "/api/v1/guidance", json={"visit": demo_birth(), "core_answers": True}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert "members.0.receives_child_allowance" in {q["id"] for q in response.json()["questions"]}
