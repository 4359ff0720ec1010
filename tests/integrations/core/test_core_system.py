"""The HTTP core-system adapter against the simulator: found, not found, slow, down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from integrations.core import (
    CoreNotFound,
    CoreTimeout,
    CoreUnavailable,
    ResidentQuery,
)
from integrations.core.http import HttpCoreSystem
from integrations.core.simulator import DEMO_ADDRESS, CoreSimulatorServer, start_in_thread
from tests.helpers.net import free_port


@pytest.fixture
def simulator() -> Iterator[CoreSimulatorServer]:
    server = start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def test_lookup_by_resident_code_gives_domicile_household_and_relationship(
    simulator: CoreSimulatorServer,
) -> None:
    (resident,) = HttpCoreSystem(simulator.url).lookup(ResidentQuery(resident_code="99100700022"))
    assert resident.name == "窓口　花子"
    assert resident.relationship == "妻"
    assert resident.household_head == "窓口　太郎"
    assert resident.domicile and resident.domicile_head == "窓口　太郎"
    assert [m.relationship for m in resident.household] == ["世帯主", "妻", "子"]


def test_lookup_by_name_birth_date_and_address(simulator: CoreSimulatorServer) -> None:
    core = HttpCoreSystem(simulator.url)
    query = ResidentQuery(name="窓口 太郎", birth_date=dt.date(1985, 4, 1), address=DEMO_ADDRESS)
    (resident,) = core.lookup(query)
    assert resident.resident_code == "99100700011"
    wrong_day = query.model_copy(update={"birth_date": dt.date(1985, 4, 2)})
    assert core.lookup(wrong_day) == []


@pytest.mark.parametrize(
    "card_address",
    [
        "窓口デモ市本町１－２－３",  # the card: 全角 算用数字 and hyphens
        "窓口デモ市本町1-2-3",  # 半角
        "窓口デモ市本町１丁目２番地３",  # 丁目 and 番地 written out, 算用数字
        "窓口デモ市本町 1ー2ー3",  # ー typed for a hyphen, a space after the 町字
    ],
)
def test_a_card_address_finds_the_record_however_each_was_typed(
    simulator: CoreSimulatorServer, card_address: str
) -> None:
    assert DEMO_ADDRESS == "窓口デモ市本町一丁目２番３号"  # the record: 漢数字 and 丁目・番・号
    core = HttpCoreSystem(simulator.url)
    query = ResidentQuery(name="窓口　太郎", birth_date=dt.date(1985, 4, 1), address=card_address)
    (resident,) = core.lookup(query)
    assert resident.resident_code == "99100700011"
    assert resident.address == DEMO_ADDRESS  # the record's own text comes back untouched


def test_a_different_block_or_town_is_not_the_same_address(simulator: CoreSimulatorServer) -> None:
    core = HttpCoreSystem(simulator.url)
    query = ResidentQuery(
        name="窓口　太郎", birth_date=dt.date(1985, 4, 1), address="窓口デモ市本町１－２－４"
    )
    assert core.lookup(query) == []
    assert core.lookup(query.model_copy(update={"address": "窓口デモ市北町１－２－３"})) == []
    assert core.lookup(query.model_copy(update={"address": "別デモ市本町１－２－３"})) == []


def test_names_are_compared_code_point_for_code_point(simulator: CoreSimulatorServer) -> None:
    core = HttpCoreSystem(simulator.url)
    query = ResidentQuery(
        name="𠮷田　髙子", birth_date=dt.date(1950, 2, 28), address="窓口デモ市北町五丁目６番７号"
    )
    assert len(core.lookup(query)) == 1
    # 吉 is not 𠮷: no normalisation, no fuzzy match on a register name
    assert core.lookup(query.model_copy(update={"name": "吉田　髙子"})) == []


def test_query_needs_a_code_or_all_three_attributes() -> None:
    with pytest.raises(ValidationError):
        ResidentQuery(name="窓口　太郎", birth_date=dt.date(1985, 4, 1))


def test_moving_out_certificate_for_special_moving_in(simulator: CoreSimulatorServer) -> None:
    core = HttpCoreSystem(simulator.url)
    certificate = core.moving_out_certificate("99100800055")
    assert certificate.from_municipality == "転出デモ町"
    assert certificate.planned_date == dt.date(2026, 11, 20)
    with pytest.raises(CoreNotFound) as raised:
        core.moving_out_certificate("99100700011")
    assert raised.value.code == "core_not_found"


def test_slow_core_system_is_a_timeout_with_a_clear_message(
    simulator: CoreSimulatorServer,
) -> None:
    simulator.state.delay_seconds = 1.0
    with pytest.raises(CoreTimeout) as raised:
        HttpCoreSystem(simulator.url, timeout_seconds=0.2).lookup(
            ResidentQuery(resident_code="99100700011")
        )
    assert raised.value.code == "core_timeout"
    assert "手入力" in raised.value.message


def test_core_system_down_or_unreachable(simulator: CoreSimulatorServer) -> None:
    simulator.state.down = True
    with pytest.raises(CoreUnavailable):
        HttpCoreSystem(simulator.url).lookup(ResidentQuery(resident_code="99100700011"))
    port = free_port()
    with pytest.raises(CoreUnavailable) as raised:
        HttpCoreSystem(f"http://127.0.0.1:{port}").lookup(
            ResidentQuery(resident_code="99100700011")
        )
    assert raised.value.code == "core_unavailable"
