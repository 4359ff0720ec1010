"""End to end over TCP: print_job → emulator, in every printer state."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from hardware.printer import (
    CoverOpenError,
    Cut,
    KanjiText,
    PaperOutError,
    PrinterOfflineError,
    PrinterUnreachableError,
    Qr,
    Raster,
    ReceiptJob,
    Text,
    print_job,
)
from hardware.printer.emulator import Decoder, PrinterEmulator, start_emulator


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    running = start_emulator(port=0, out_dir=tmp_path / "out")
    yield running
    running.stop()


def _url(emulator: PrinterEmulator) -> str:
    return f"tcp://127.0.0.1:{emulator.port}"


def _wait_for_receipts(emulator: PrinterEmulator, count: int) -> None:
    """The emulator decodes on its own thread; wait (bounded) until it has finished."""
    deadline = time.monotonic() + 10
    while len(emulator.receipts) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def _job() -> ReceiptJob:
    image = Image.new("1", (384, 40), 1)
    ImageDraw.Draw(image).rectangle((0, 0, 99, 39), fill=0)
    return ReceiptJob(
        [
            Text("A-012", width=4, height=4, align="center"),
            Raster(image),
            KanjiText("市民課 1階"),
            Qr("https://example.invalid/t/A-012"),
            Cut(),
        ],
        paper_dots=384,
    )


def test_prints_and_decodes(emulator: PrinterEmulator, tmp_path: Path) -> None:
    result = print_job(_url(emulator), _job())
    assert result.warnings == [] and result.status.online
    _wait_for_receipts(emulator, 1)
    receipt = emulator.receipts[0]
    assert receipt.initialized and receipt.cut and receipt.kanji_system == 1
    assert "A-012" in receipt.texts and "市民課 1階" in receipt.texts
    assert receipt.qr_codes == ["https://example.invalid/t/A-012"]
    raster = receipt.rasters[0]
    assert (raster.width, raster.height) == (384, 40)
    assert raster.image is not None and raster.image.getpixel((10, 10)) == 0
    assert raster.image.getpixel((200, 10)) == 255
    big = next(e for e in receipt.elements if e.text == "A-012")
    assert (big.scale_w, big.scale_h, big.align) == (4, 4, "center")
    out = tmp_path / "out"
    assert Image.open(out / "receipt-0001.png").width == 576
    summary = json.loads((out / "receipt-0001.json").read_text("utf-8"))
    assert summary["cut"] is True


def test_paper_near_end_prints_and_warns(emulator: PrinterEmulator) -> None:
    emulator.state = "paper-near-end"
    result = print_job(_url(emulator), _job())
    assert result.warnings and "用紙が残りわずか" in result.warnings[0]
    _wait_for_receipts(emulator, 1)
    assert len(emulator.receipts) == 1


@pytest.mark.parametrize(
    ("state", "error", "exit_code"),
    [
        ("paper-out", PaperOutError, 21),
        ("cover-open", CoverOpenError, 22),
        ("offline", PrinterOfflineError, 23),
    ],
)
def test_faults_print_nothing(
    emulator: PrinterEmulator, tmp_path: Path, state: str, error: type[Exception], exit_code: int
) -> None:
    emulator.state = state
    with pytest.raises(error) as caught:
        print_job(_url(emulator), _job())
    assert caught.value.exit_code == exit_code  # type: ignore[attr-defined]
    time.sleep(0.1)  # nothing is expected; give a stray job a moment to show up
    assert emulator.receipts == [] and emulator.discarded == 0
    assert not (tmp_path / "out").exists()


def test_unreachable() -> None:
    probe = start_emulator(port=0)
    port = probe.port
    probe.stop()
    with pytest.raises(PrinterUnreachableError) as caught:
        print_job(f"tcp://127.0.0.1:{port}", _job(), timeout=1)
    assert caught.value.exit_code == 20


def test_decoder_handles_split_commands() -> None:
    emulator = PrinterEmulator()
    decoder = Decoder(emulator)
    data = b"\x1b@\x1cC\x01\x1c&" + "転入".encode("shift_jis") + b"\n\x1c.\x1dV\x00"
    replies = b"".join(decoder.feed(data[i : i + 1]) for i in range(len(data)))
    assert replies == b""
    assert decoder.feed(b"\x10\x04") == b"" and decoder.feed(b"\x04") == b"\x12"
    assert emulator.receipts[0].texts == ["転入"]


def test_status_replies_per_state() -> None:
    emulator = PrinterEmulator(state="cover-open")
    decoder = Decoder(emulator)
    assert decoder.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04") == b"\x1a\x16\x12"
    with pytest.raises(ValueError):
        PrinterEmulator(state="jammed")
