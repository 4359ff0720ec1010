"""Exact ESC/POS bytes, produced through python-escpos's Dummy transport."""

from __future__ import annotations

import pytest
from PIL import Image

from hardware.printer import Cut, Feed, KanjiText, Qr, Raster, ReceiptJob, Text, encode_job
from hardware.printer.job import kanji_rom_can_print

INIT = b"\x1b@"
FULL_CUT = b"\x1bd\x06\x1dV\x00"


def test_empty_job_is_init_only() -> None:
    assert encode_job(ReceiptJob(paper_dots=384)) == INIT


def test_cut() -> None:
    assert encode_job(ReceiptJob([Cut()])) == INIT + FULL_CUT


def test_raster_is_gs_v_0_with_black_as_ones() -> None:
    image = Image.new("1", (16, 2), 1)
    image.putpixel((0, 0), 0)  # top-left black
    image.putpixel((15, 1), 0)  # bottom-right black
    out = encode_job(ReceiptJob([Raster(image)], paper_dots=384))
    header = b"\x1dv0\x00" + bytes((2, 0, 2, 0))  # 2 bytes wide, 2 rows
    assert out.endswith(header + bytes((0x80, 0x00, 0x00, 0x01)))


def test_raster_wider_than_paper_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_job(ReceiptJob([Raster(Image.new("1", (400, 8), 1))], paper_dots=384))


def test_big_ascii_text() -> None:
    out = encode_job(ReceiptJob([Text("A-012", width=4, height=4, align="center")]))
    assert b"\x1d!\x33" in out  # GS ! : 4× wide, 4× high
    assert b"\x1ba\x01" in out  # ESC a 1: centred
    assert b"A-012\n" in out


def test_text_refuses_japanese() -> None:
    """python-escpos would send GB18030: never let Japanese through text()."""
    with pytest.raises(ValueError):
        encode_job(ReceiptJob([Text("転入")]))


def test_kanji_mode_bytes() -> None:
    out = encode_job(ReceiptJob([KanjiText("市民課")]))
    expected = b"\x1cC\x01\x1c&" + "市民課".encode("shift_jis") + b"\n\x1c."
    assert expected in out
    assert "市民課".encode("shift_jis") == b"\x8es\x96\xaf\x89\xdb"


def test_kanji_rom_coverage() -> None:
    assert kanji_rom_can_print("黒桐　幹也")
    assert not kanji_rom_can_print("髙")  # IBM extension
    assert not kanji_rom_can_print("﨑")
    assert not kanji_rom_can_print("𠮷")
    with pytest.raises(ValueError):
        encode_job(ReceiptJob([KanjiText("黒桐　髙志")]))


def test_native_qr() -> None:
    out = encode_job(ReceiptJob([Qr("https://example.invalid/t/A-012", size=6)]))
    data = b"https://example.invalid/t/A-012"
    assert b"\x1d(k\x04\x001A2\x00" in out  # model 2
    assert b"\x1d(k\x03\x001C\x06" in out  # module size 6
    assert b"\x1d(k" + bytes((len(data) + 3, 0)) + b"1P0" + data in out
    assert b"\x1d(k\x03\x001Q0" in out  # print


def test_feed_and_order() -> None:
    out = encode_job(ReceiptJob([Feed(3), Cut()]))
    assert out == INIT + b"\x1bd\x03" + FULL_CUT


def test_paper_width_must_be_known() -> None:
    with pytest.raises(ValueError):
        ReceiptJob(paper_dots=600)
