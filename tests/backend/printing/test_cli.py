"""The CLI contract: commands, options and exit codes, against the emulator over TCP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import build_app
from backend.printing.service import build_job
from forms.receipt import checklist_slip, queue_ticket
from hardware.printer import KanjiText, Qr, Raster, Text
from hardware.printer.emulator import PrinterEmulator, start_emulator
from tests.helpers.forms_samples import guidance, signature, visit

runner = CliRunner()
MADOGUCHI = str(Path(sys.executable).parent / "madoguchi")  # the installed entry point


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "visit": tmp_path / "visit.json",
        "guidance": tmp_path / "guidance.json",
        "signature": tmp_path / "signature.json",
    }
    paths["visit"].write_text(visit(6).model_dump_json(by_alias=True), encoding="utf-8")
    paths["guidance"].write_text(guidance().model_dump_json(), encoding="utf-8")
    paths["signature"].write_text(signature().model_dump_json(), encoding="utf-8")
    return paths


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    running = start_emulator(port=0, out_dir=tmp_path / "printed")
    yield running
    running.stop()


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(build_app(), list(args))


def test_forms_render(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "mn.pdf"
    result = _invoke(
        "forms",
        "render",
        "--form",
        "moving-notice",
        "--visit",
        str(files["visit"]),
        "--out",
        str(out),
        "--signature",
        str(files["signature"]),
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    out = tmp_path / "cl.pdf"
    result = _invoke(
        "forms",
        "render",
        "--form",
        "checklist",
        "--visit",
        str(files["visit"]),
        "--guidance",
        str(files["guidance"]),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output


def test_forms_render_input_errors(files: dict[str, Path], tmp_path: Path) -> None:
    result = _invoke(
        "forms",
        "render",
        "--form",
        "nope",
        "--visit",
        str(files["visit"]),
        "--out",
        str(tmp_path / "x.pdf"),
    )
    assert result.exit_code == 1 and "様式「nope」はありません" in result.output
    result = _invoke(
        "forms",
        "render",
        "--form",
        "checklist",
        "--visit",
        str(tmp_path / "no.json"),
        "--out",
        str(tmp_path / "x.pdf"),
    )
    assert result.exit_code == 1 and "ファイルがありません" in result.output


EVERY_FIELD = Path(__file__).parents[2] / "data" / "visit-every-field.json"


# What the sample record file puts on the 住民異動届 (pdftotext prints U+3000 as a space).
EVERY_NEW_FIELD = (
    "試験県仮野市中央\n３丁目４番\n筆頭者 窓口 太郎",  # 本籍・筆頭者 (Member.domicile, _head)
    "新世帯主（変わるとき）\n窓口 花子",
    "届出人 住所\nデモ県窓口デモ市本町１－２－３",
    "代理人 氏名\n代理 一郎\n届出人との関係\n知人\n代理人 住所\nデモ県窓口デモ市栄町９－８－７",
    "ブラジル\n定住者 (令和11年3月31日まで)\nAB00000000CD",  # foreign resident: country name
    "通称 葛\U000e0102西 アナ",  # 通称, with its variation sequence kept
    "住民となった日 令和元年10月1日",
    "受付番号 A-001 2026-12-02",  # the reception label, not the visit id
    "✓ 継続利用 ✓ 特例転入",
)


def _render_sample(form: str, out: Path, *options: str):  # type: ignore[no-untyped-def]
    return _invoke(
        "forms", "render", "--form", form, "--visit", str(EVERY_FIELD), "--out", str(out), *options
    )


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_forms_render_the_sample_with_every_new_field(tmp_path: Path) -> None:
    """The sample record file renders the life-event fields; the office boxes come from the
    sample catalog's guidance when no --guidance is given."""
    out = tmp_path / "moving-notice.pdf"
    result = _render_sample("moving-notice", out)
    assert result.exit_code == 0, result.output
    text = _pdf_text(out)
    for value in (*EVERY_NEW_FIELD, "✓ 手続きあり", "見\n本"):  # unsigned: a 見本 preview
        assert value in text, value
    assert "0b5e0e7c9d3a4f6e8a1b2c3d4e5f6a7b" not in text
    assert _render_sample("residence-certificate-request", tmp_path / "r.pdf").exit_code == 0
    assert _render_sample("tax-certificate-postal-request", tmp_path / "t.pdf").exit_code == 0


def test_forms_render_signs_the_sample_with_the_given_guidance(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """--signature and --guidance still work with a record carrying the new fields."""
    out = tmp_path / "signed.pdf"
    options = ("--signature", str(files["signature"]), "--guidance", str(files["guidance"]))
    result = _render_sample("moving-notice", out, *options)
    assert result.exit_code == 0, result.output
    text = _pdf_text(out)
    for value in EVERY_NEW_FIELD:
        assert value in text, value
    assert "見\n本" not in text  # a signed document never carries the watermark


def test_forms_render_refuses_a_tax_form_this_town_cannot_issue(tmp_path: Path) -> None:
    result = _render_sample("tax-certificate-request", tmp_path / "tax.pdf")
    assert result.exit_code == 1
    assert "[forms.not_issued_here]" in result.output and "郵送請求書" in result.output
    assert not (tmp_path / "tax.pdf").exists()


def _wait(emulator: PrinterEmulator, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(emulator.receipts) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_print_ticket_slip_summary(files: dict[str, Path], emulator: PrinterEmulator) -> None:
    url = f"tcp://127.0.0.1:{emulator.port}"
    result = _invoke(
        "print",
        "ticket",
        "--printer",
        url,
        "--number",
        "A-012",
        "--queue",
        "転入・転出",
        "--url",
        "https://example.invalid/t/A-012",
        "--ahead",
        "3",
        "--wait-minutes",
        "12",
    )
    assert result.exit_code == 0, result.output
    result = _invoke(
        "print",
        "slip",
        "--printer",
        url,
        "--visit",
        str(files["visit"]),
        "--guidance",
        str(files["guidance"]),
        "--paper",
        "384",
    )
    assert result.exit_code == 0, result.output
    result = _invoke(
        "print", "summary", "--printer", url, "--visit", str(files["visit"]), "--kanji"
    )
    assert result.exit_code == 0, result.output
    _wait(emulator, 3)
    ticket, slip, summary = emulator.receipts
    assert "A-012" in ticket.texts and ticket.qr_codes == ["https://example.invalid/t/A-012"]
    assert ticket.rasters and ticket.cut
    assert slip.rasters and all(r.width == 384 for r in slip.rasters)
    assert any(text.startswith("・住民異動届") for text in summary.texts)


@pytest.mark.parametrize(
    ("state", "code", "words"),
    [
        ("paper-out", 21, "用紙がありません"),
        ("cover-open", 22, "カバーが開いています"),
        ("offline", 23, "オフライン"),
        ("paper-near-end", 0, "残りわずか"),
    ],
)
def test_print_exit_codes(emulator: PrinterEmulator, state: str, code: int, words: str) -> None:
    emulator.state = state
    result = _invoke(
        "print",
        "ticket",
        "--printer",
        f"tcp://127.0.0.1:{emulator.port}",
        "--number",
        "A-012",
        "--queue",
        "証明書",
        "--url",
        "https://example.invalid/t",
    )
    assert result.exit_code == code, result.output
    assert words in result.output


def test_print_unreachable_exit_20() -> None:
    probe = start_emulator(port=0)
    port = probe.port
    probe.stop()
    result = _invoke(
        "print",
        "ticket",
        "--printer",
        f"tcp://127.0.0.1:{port}",
        "--number",
        "A-001",
        "--queue",
        "q",
        "--url",
        "https://example.invalid/t",
    )
    assert result.exit_code == 20 and "つながりません" in result.output


def test_print_bad_url_exit_23() -> None:
    result = _invoke(
        "print", "ticket", "--printer", "lpt://1", "--number", "A-001", "--queue", "q", "--url", "u"
    )
    assert result.exit_code == 23


def test_emulate_command_runs(tmp_path: Path) -> None:
    probe = start_emulator(port=0)
    port = probe.port
    probe.stop()
    process = subprocess.Popen(
        [
            MADOGUCHI,
            "printer",
            "emulate",
            "--port",
            str(port),
            "--state",
            "paper-out",
            "--out",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "状態=paper-out" in process.stdout.readline()
        done = subprocess.run(
            [
                MADOGUCHI,
                "print",
                "ticket",
                "--printer",
                f"tcp://127.0.0.1:{port}",
                "--number",
                "B-001",
                "--queue",
                "q",
                "--url",
                "https://example.invalid/t",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 21, done.stderr
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_build_job_raster_by_default_kanji_rom_when_asked() -> None:
    import datetime as dt

    parts = queue_ticket("A-012", "転入", "https://example.invalid/t", dt.datetime(2026, 11, 24, 9))
    blocks = build_job(parts, 576).blocks
    assert isinstance(blocks[1], Text) and blocks[1].text == "A-012"
    assert not any(isinstance(b, KanjiText) for b in blocks)
    assert any(isinstance(b, Qr) for b in blocks) and any(isinstance(b, Raster) for b in blocks)
    slip = build_job(checklist_slip(visit(4), guidance()), 512, kanji=True).blocks
    kanji = [b.text for b in slip if isinstance(b, KanjiText)]
    assert "□ 1. 転入届" in kanji
    assert all("髙" not in text for text in kanji)


def test_checklist_without_guidance_file_uses_the_guidance_engine(tmp_path: Path) -> None:
    """Without --guidance the checklist lists what the sample catalog finds for the visit."""
    sample = json.loads((Path(__file__).parents[2] / "data" / "visit-moving-in.json").read_text())
    # Not a 特例転入 (which is itself the 転入届): answered, as the clerk would at the counter.
    sample.setdefault("facts", {})["special_move_in"] = False
    data = tmp_path / "visit.json"
    data.write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "checklist.pdf"
    result = _invoke(
        "forms", "render", "--form", "checklist", "--visit", str(data), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "転入届" in text
    assert "住民票の写し" in text
