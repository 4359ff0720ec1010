"""Issue 18: a municipality imports its 町字 list from the address base registry's CSV (or a
simple one) and the counter finds the new areas at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.addresses import importing, service
from backend.counter.consistency import check_record
from backend.identity.tenants.models import Tenant
from backend.identity.tenants.service import create_tenant
from backend.platform.db import set_session_tenant
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo
from contracts import VisitRecord
from tests.helpers.cli_db import commands_database

ABR_HEADER = (
    "lg_code,machiaza_id,machiaza_type,pref,pref_kana,pref_roma,county,county_kana,county_roma,"
    "city,city_kana,city_roma,ward,ward_kana,ward_roma,oaza_cho,oaza_cho_kana,oaza_cho_roma,"
    "chome,chome_kana,chome_number,koaza,koaza_kana,koaza_roma,efct_date,ablt_date"
)


def abr_row(code: str, area_id: str, oaza: str, kana: str, chome: str = "", chome_kana: str = "",
            abolished: str = "") -> str:  # fmt: skip
    return (
        f"{code},{area_id},1,見本県,ミホンケン,Mihon,,,,見本市,ミホンシ,Mihon-shi,,,,"
        f"{oaza},{kana},,{chome},{chome_kana},,,,,2020-01-01,{abolished}"
    )


ABR_CSV = "\n".join(
    [
        ABR_HEADER,
        abr_row("012025", "0001001", "桜台", "サクラダイ", "一丁目", "1チョウメ"),
        abr_row("012025", "0001002", "桜台", "サクラダイ", "二丁目", "2チョウメ"),
        abr_row("012025", "0002000", "湖畔", "コハン"),
        abr_row("012033", "0009000", "別町", "ベツマチ"),  # another municipality
        abr_row("012025", "0003000", "旧町", "キュウマチ", abolished="2024-04-01"),
        abr_row("012025", "0001001", "桜台", "サクラダイ", "一丁目", "1チョウメ"),  # duplicate
    ]
)


def test_the_address_base_registry_csv_is_read_with_reasons_for_what_is_refused() -> None:
    imported = importing.parse_csv(ABR_CSV, "012025", "見本市")
    assert imported.source == "abr"
    assert [(a.id, a.name, a.kana) for a in imported.areas.areas] == [
        ("0001001", "桜台一丁目", "サクラダイ1チョウメ"),
        ("0001002", "桜台二丁目", "サクラダイ2チョウメ"),
        ("0002000", "湖畔", "コハン"),
    ]
    assert (imported.areas.prefecture, imported.areas.city) == ("見本県", "見本市")
    assert [(r.line, r.reason.split("（")[0].split(" ")[0]) for r in imported.refused] == [
        (5, "別の団体コード"),
        (6, "廃止された町字"),
        (7, "町字ID"),
    ]


def test_the_older_japanese_header_and_a_simple_csv_are_read() -> None:
    japanese = (
        "全国地方公共団体コード,町字id,都道府県名,市区町村名,大字・町名,大字・町名_カナ,丁目名,丁目名_カナ\n"
        "012025,0001001,見本県,見本市,桜台,サクラダイ,一丁目,1チョウメ\n"
    )
    assert [a.name for a in importing.parse_csv(japanese, "012025", "見本市").areas.areas] == [
        "桜台一丁目"
    ]
    simple = "id,name,kana\n0001,桜台一丁目,サクラダイ1チョウメ\n,名無し,ナナシ\n"
    imported = importing.parse_csv(simple, "012025", "見本市")
    assert imported.source == "simple" and imported.added == 1
    assert imported.refused[0].line == 3
    assert imported.areas.city == "見本市" and imported.areas.prefecture == "北海道"


@pytest.mark.parametrize(
    "text", ["", "a,b,c\n1,2,3\n", "\ufeff"], ids=["empty", "unknown-header", "bom-only"]
)
def test_unreadable_csv_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(importing.AreaCsvInvalid):
        importing.parse_csv(text, "012025", "見本市")


def test_shift_jis_is_decoded_and_junk_is_refused() -> None:
    assert importing.decode("id,name,kana\n".encode("cp932")) == "id,name,kana\n"
    with pytest.raises(importing.AreaCsvInvalid):
        importing.decode(b"\x89PNG\r\n\x1a\n\xff\xfe\xfa")


def test_an_imported_list_replaces_the_file_and_the_checks_use_it(db: Session) -> None:
    tenant: Tenant = create_tenant(db, code="012025", name="見本市", actor="test")
    db.info["unscoped"] = False
    set_session_tenant(db, tenant.id)
    assert service.areas_for(db, "012025") is None
    importing.store(db, tenant.id, importing.parse_csv(ABR_CSV, "012025", "見本市"), "test")
    areas = service.areas_for(db, "012025")
    assert areas is not None and [a.name for a in service.search_list(areas, "さくらだい")] == [
        "桜台一丁目",
        "桜台二丁目",
    ]
    record = VisitRecord.model_validate(
        {
            "tenant": {"code": "012025", "name": "見本市"},
            "event": "moving-within",
            "event_date": "2026-12-01",
            "filed_on": "2026-12-03",
            "previous_address": "桜台１－２－３",  # typed without the city: found by its 町字
            "new_address": "見本県見本市湖畔５番",
            "members": [{"name": "見本　花子", "relationship": "世帯主"}],
        }
    )
    with_list = {f.code for f in check_record(record, dt.date(2026, 12, 3), areas)}
    without = {f.code for f in check_record(record, dt.date(2026, 12, 3), None)}
    assert with_list != without  # the imported 町字 decide where 桜台１－２－３ is


@pytest.fixture
def admin(client: TestClient, db: Session) -> Iterator[dict[str, str]]:
    seed_demo(db)
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "admin", "password": DEMO_PASSWORD},
    )
    yield {"x-csrf-token": response.json()["csrf_token"]}


def test_the_admin_imports_over_the_api_and_the_picker_finds_the_new_areas(
    client: TestClient, admin: dict[str, str]
) -> None:
    csv_text = "id,name,kana\n0901,新緑台一丁目,シンリョクダイ1チョウメ\n0902,,ナシ\n"
    response = client.post("/api/v1/addresses/import", json={"csv": csv_text}, headers=admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert (body["source"], body["added"], body["refused"]) == ("simple", 1, 1)
    assert body["refusals"][0]["line"] == 3
    found = client.get("/api/v1/addresses/areas", params={"q": "しんりょく"}).json()
    assert [a["name"] for a in found] == ["新緑台一丁目"]
    assert client.get("/api/v1/addresses/areas", params={"q": "本町"}).json() == []  # replaced
    nothing = client.post("/api/v1/addresses/import", json={"csv": "id,name,kana\n"}, headers=admin)
    assert nothing.status_code == 422


def test_addresses_import_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.cli import build_app

    def one_tenant(session: Session) -> None:
        create_tenant(session, code="012025", name="見本市", actor="test")

    with commands_database(tmp_path, monkeypatch, prepare=one_tenant):
        csv_file = tmp_path / "mt_town_city012025.csv"
        csv_file.write_text(ABR_CSV, encoding="utf-8")
        runner = CliRunner()
        done = runner.invoke(
            build_app(), ["addresses", "import", "--tenant", "012025", str(csv_file)]
        )
        assert done.exit_code == 0, done.output
        assert done.stdout.strip() == "見本県見本市: 3 added, 3 refused (abr)"
        assert f"{csv_file}:5: 別の団体コード 012033 の行" in done.stderr
        for args in (
            ["addresses", "import", "--tenant", "999999", str(csv_file)],
            ["addresses", "import", "--tenant", "012025", str(tmp_path / "none.csv")],
        ):
            refused = runner.invoke(build_app(), args)
            assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
