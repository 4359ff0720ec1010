"""CSV/TSV for RPA: read back equals the source, explicit CP932 substitution, formula guard."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts.handoff import Handoff
from integrations.csv_rpa import (
    COLUMNS,
    DATA_COLUMNS,
    TEXT_COLUMNS,
    CsvAdapter,
    guard_formula,
    handoff_rows,
    render,
    substitute_for_cp932,
)


def _read_back(path: Path, encoding: str, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _data(row: dict[str, str]) -> dict[str, str]:
    return {column: row[column] for column in TEXT_COLUMNS}


def test_one_row_per_member_per_procedure(make_handoff: Callable[..., Handoff]) -> None:
    rows = handoff_rows(make_handoff())
    # 転入届 concerns both members, 国保 only member 1
    assert [(r["procedure_id"], r["member_index"]) for r in rows] == [
        ("moving-in", "0"), ("moving-in", "1"), ("nhi-join", "1"),
    ]  # fmt: skip
    assert rows[2]["member_name"] == "窓口　花子"
    assert rows[0]["member_birth_date"] == "1985-04-01"


def test_a_case_without_procedures_still_gives_its_members(
    make_handoff: Callable[..., Handoff],
) -> None:
    rows = handoff_rows(make_handoff(procedures=[]))
    assert [(r["procedure_id"], r["member_index"]) for r in rows] == [("", "0"), ("", "1")]


def test_reception_label_is_the_last_column_so_positions_stay(
    tmp_path: Path, make_handoff: Callable[..., Handoff]
) -> None:
    handoff = make_handoff()
    record = handoff.record.model_copy(update={"reception_label": "A-001 2026-12-02"})
    handoff = handoff.model_copy(update={"record": record})
    assert CsvAdapter(tmp_path, encoding="cp932").deliver(handoff).ok
    (path,) = list(tmp_path.iterdir())
    back = _read_back(path, "cp932")
    assert list(back[0])[: len(DATA_COLUMNS) + 2] == [
        *DATA_COLUMNS,
        "substituted",
        "substituted_columns",
    ]
    assert list(back[0])[-1] == "reception_label"
    assert {r["reception_label"] for r in back} == {"A-001 2026-12-02"}


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("cp932", ","), ("utf-8-sig", ","), ("cp932", "\t")]
)
def test_file_read_back_with_csv_module_equals_the_source(
    tmp_path: Path, make_handoff: Callable[..., Handoff], encoding: str, delimiter: str
) -> None:
    handoff = make_handoff()
    result = CsvAdapter(tmp_path, encoding=encoding, delimiter=delimiter).deliver(handoff)  # type: ignore[arg-type]
    assert result.ok, result.detail
    (path,) = [p for p in tmp_path.iterdir()]
    assert path.suffix == (".tsv" if delimiter == "\t" else ".csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    back = _read_back(path, encoding, delimiter)
    assert list(back[0]) == list(COLUMNS)
    assert [_data(r) for r in back] == handoff_rows(handoff)
    assert all(r["substituted"] == "0" and r["substituted_columns"] == "" for r in back)


def test_characters_outside_cp932_are_substituted_and_flagged_never_question_marks(
    tmp_path: Path, make_handoff: Callable[..., Handoff], record_data: dict[str, Any]
) -> None:
    # 𠮷 (U+20BB7) is not in CP932; 髙 is (NEC/IBM extension) and must stay as it is;
    # 葛󠄀 is 葛 with an IVS selector: the base survives, the selector is flagged.
    record_data["members"][0]["name"] = "𠮷田　髙子"
    record_data["members"][1]["name"] = "葛\U000e0100城　花子"
    handoff = make_handoff(record_data, procedures=[])
    adapter = CsvAdapter(tmp_path, encoding="cp932", substitutions={"𠮷": "吉"})
    assert adapter.deliver(handoff).ok
    (path,) = list(tmp_path.iterdir())
    assert b"?" not in path.read_bytes().replace(b"?after", b"")
    back = _read_back(path, "cp932")
    assert back[0]["member_name"] == "吉田　髙子"
    assert back[0]["substituted"] == "1"
    assert back[0]["substituted_columns"] == "member_name"
    assert back[1]["member_name"] == "葛城　花子"
    assert back[1]["substituted"] == "1"
    # household_head etc. unchanged and unflagged
    assert back[0]["household_head"] == "窓口　太郎"


def test_unmapped_characters_get_the_configured_replacement() -> None:
    assert substitute_for_cp932("𠮷野", {}) == ("〓野", True)
    assert substitute_for_cp932("𠮷野", {}, replacement="＊") == ("＊野", True)
    assert substitute_for_cp932("髙橋　﨑", {}) == ("髙橋　﨑", False)
    assert substitute_for_cp932("a\u20ac", {}) == ("a〓", True)  # € is not in Python's cp932
    # 〜 (JIS mapping) is ～ in CP932: the same character, mapped without a flag
    assert substitute_for_cp932("1\u301c2", {}) == ("1\uff5e2", False)


def test_substitution_in_utf8_files_does_not_happen(
    tmp_path: Path, make_handoff: Callable[..., Handoff], record_data: dict[str, Any]
) -> None:
    record_data["members"][0]["name"] = "𠮷田　髙子"
    handoff = make_handoff(record_data, procedures=[])
    assert CsvAdapter(tmp_path, encoding="utf-8-sig").deliver(handoff).ok
    back = _read_back(next(tmp_path.iterdir()), "utf-8-sig")
    assert back[0]["member_name"] == "𠮷田　髙子" and back[0]["substituted"] == "0"


@pytest.mark.parametrize("cell", ["=1+2", "+81", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_injection_is_neutralised(
    cell: str, make_handoff: Callable[..., Handoff], record_data: dict[str, Any]
) -> None:
    assert guard_formula(cell) == "'" + cell
    record_data["applicant"]["name"] = cell
    record_data["members"][0]["name"] = '=HYPERLINK("http://evil","x")'
    content = render(handoff_rows(make_handoff(record_data)), encoding="utf-8-sig")
    back = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert all(r["applicant_name"] == "'" + cell for r in back)
    assert back[0]["member_name"].startswith("'=")


def test_harmless_cells_are_untouched() -> None:
    for cell in ["090-0000-0000", "窓口　太郎", "2026-11-24", ""]:
        assert guard_formula(cell) == cell


def test_redelivery_replaces_the_same_file_atomically(
    tmp_path: Path, make_handoff: Callable[..., Handoff]
) -> None:
    adapter = CsvAdapter(tmp_path)
    handoff = make_handoff()
    assert adapter.deliver(handoff).ok and adapter.deliver(handoff).ok
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and not files[0].name.startswith(".")
    assert files[0].name == "20261124_handoff-v1test-dest-v1.csv"


def test_unwritable_drop_folder_is_a_failed_delivery(
    tmp_path: Path, make_handoff: Callable[..., Handoff]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CsvAdapter(blocker / "sub").deliver(make_handoff())
    assert not result.ok and result.retryable
