import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from backend.cli import build_app
from contracts import Member, VisitRecord

DATA = Path(__file__).parents[1] / "data"
runner = CliRunner()


def test_design_example_validates() -> None:
    record = VisitRecord.model_validate_json((DATA / "visit-moving-in.json").read_text())
    assert record.members[0].name == "黒桐　幹也"
    assert record.to_json_dict()["schema"] == "madoguchi.visit/1"


def test_text_is_kept_code_point_for_code_point() -> None:
    names = ["髙橋　﨑子", "\U00020bb7野　花", "\ufa30田"]
    for name in names:
        assert Member(name=name).name == name


def test_age_on_event_date() -> None:
    member = Member(name="x", birth_date=dt.date(2019, 4, 2))
    assert member.age_on(dt.date(2026, 4, 1)) == 6
    assert member.age_on(dt.date(2026, 4, 2)) == 7
    leap = Member(name="x", birth_date=dt.date(2008, 2, 29))
    assert leap.age_on(dt.date(2026, 2, 28)) == 17
    assert leap.age_on(dt.date(2026, 3, 1)) == 18


def test_cli_validate_ok() -> None:
    result = runner.invoke(build_app(), ["visit", "validate", str(DATA / "visit-moving-in.json")])
    assert result.exit_code == 0, result.output


def test_cli_validate_names_the_field(tmp_path: Path) -> None:
    data = json.loads((DATA / "visit-moving-in.json").read_text())
    data["members"][0]["birth_date"] = "1980-13-45"
    data["event"] = "moving-sideways"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False))
    result = runner.invoke(build_app(), ["visit", "validate", str(bad)])
    assert result.exit_code == 1
    assert "members[0].birth_date" in result.output
    assert "event" in result.output


def test_cli_validate_broken_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "event": ')
    result = runner.invoke(build_app(), ["visit", "validate", str(bad)])
    assert result.exit_code == 1
    assert "JSON" in result.output


def test_later_collections_are_left_out_while_empty_so_old_hashes_hold() -> None:
    """fact_sources, unresolved and field_sources (added in wave 3) appear only when used."""
    from contracts import VisitRecord

    base = {
        "tenant": {"code": "991007", "name": "窓口デモ市"},
        "event": "death",
        "event_date": "2026-11-20",
        "filed_on": "2026-11-24",
        "members": [{"name": "見本　一郎"}],
    }
    plain = VisitRecord.model_validate(base).to_json_dict()
    assert "fact_sources" not in plain and "unresolved" not in plain
    assert "field_sources" not in plain["members"][0]  # type: ignore[index]

    used = VisitRecord.model_validate(
        {
            **base,
            "fact_sources": {"has_dog": "core"},
            "unresolved": [{"question": "members.0.care_certified", "reason": "本人不在"}],
            "members": [{"name": "見本　一郎", "field_sources": {"kana": "core"}}],
        }
    ).to_json_dict()
    assert used["fact_sources"] == {"has_dog": "core"}
    assert used["unresolved"] == [{"question": "members.0.care_certified", "reason": "本人不在"}]
    assert used["members"][0]["field_sources"] == {"kana": "core"}  # type: ignore[index]
