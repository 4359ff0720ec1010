"""The ticket machine's printer: a real ESC/POS job to the emulator, faults as outcomes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from backend.printing.service import build_job
from backend.printing.tickets import EscposTicketPrinter
from backend.queue.printing import PrintStatus, QrSlipJob, TicketPrintJob
from forms.fonts import WORLD, missing_glyphs
from forms.receipt import Line, QrCode, qr_slip, queue_ticket, rasterize
from hardware.printer import encode_job
from hardware.printer.emulator import PrinterEmulator, start_emulator

JOB = TicketPrintJob(
    display_number="B-007",
    queue_name_ja="証明書",
    queue_name_en="Certificates",
    office_name="本庁舎",
    issued_at_local=dt.datetime(2026, 11, 24, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    people_ahead=3,
    estimated_minutes=12,
    follow_url="http://127.0.0.1:8000/follow/#abc",
)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    running = start_emulator(port=0, out_dir=tmp_path)
    yield running
    running.stop()


def test_prints_the_ticket(emulator: PrinterEmulator) -> None:
    outcome = EscposTicketPrinter(f"tcp://127.0.0.1:{emulator.port}").print_ticket(None, JOB)
    assert outcome.status is PrintStatus.PRINTED
    deadline = time.monotonic() + 5  # the emulator decodes after the connection closes
    while not emulator.receipts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(emulator.receipts) == 1
    kinds = {element.kind for element in emulator.receipts[0].elements}
    assert "raster" in kinds  # the Japanese lines go as images, never GB18030 text


def test_paper_out_prints_nothing_and_says_so(emulator: PrinterEmulator) -> None:
    emulator.state = "paper-out"
    outcome = EscposTicketPrinter(f"tcp://127.0.0.1:{emulator.port}").print_ticket(None, JOB)
    assert outcome.status is PrintStatus.PAPER_OUT
    assert "用紙切れ" in outcome.message
    assert emulator.receipts == []


def test_unreachable_printer_is_a_failed_outcome_not_an_error() -> None:
    printer = EscposTicketPrinter("tcp://127.0.0.1:9", timeout_seconds=0.5)
    outcome = printer.print_ticket(None, JOB)
    assert outcome.status is PrintStatus.FAILED
    assert "printer.unreachable" in outcome.message


def _texts(lang: str) -> list[str]:
    return [p.text for p in _parts(lang)]


def _parts(lang: str) -> list[Line]:
    parts = queue_ticket(
        "B-007",
        "証明書",
        "http://127.0.0.1:8000/follow/?lang=en#abc",
        JOB.issued_at_local,
        1,
        12,
        tenant_name="Kita City",
        lang=lang,
        queue_en="Certificates",
    )
    return [p for p in parts if isinstance(p, Line)]


def test_an_english_ticket_prints_an_english_slip() -> None:
    texts = _texts("en")
    assert texts[:4] == ["Kita City", "Your number", "B-007", "Certificates"]
    assert "1 person ahead of you" in texts
    assert "Estimated wait: about 12 min" in texts
    assert all(text.isascii() for text in texts), texts  # not a Japanese word on it


def test_other_languages_print_their_own_words_with_the_japanese_under_them() -> None:
    expected = {
        "zh-Hans": ("您的号码", "前面等候：1人", "预计等候：约12分钟"),
        "ko": ("대기 번호", "앞 대기 인원: 1명", "예상 대기 시간: 약 12분"),
        "vi": ("Số thứ tự của bạn", "Số người chờ trước bạn: 1", "khoảng 12 phút"),
        "pt": ("Sua senha", "Pessoas à sua frente: 1", "cerca de 12 min"),
    }
    for lang, (label, ahead, wait) in expected.items():
        parts = _parts(lang)
        texts = [p.text for p in parts]
        assert label in texts and ahead in texts, (lang, texts)
        assert any(wait in text for text in texts), (lang, texts)
        assert "受付番号" in texts and "お待ちの方 1人" in texts and "証明書" in texts
        assert not any("Your number" in t or "ahead of you" in t for t in texts), texts
        own = [p for p in parts if p.font == WORLD]
        assert len(own) >= 5  # label, issued, ahead, wait, both hints: the world font
        for line in own:
            assert missing_glyphs(line.text, WORLD) == [], (lang, line.text)


def test_the_japanese_slip_is_unchanged() -> None:
    assert _texts("ja")[:4] == ["Kita City", "受付番号", "B-007", "証明書"]
    assert not any("Your number" in text for text in _texts("ja"))


def test_an_english_job_reaches_the_printer(emulator: PrinterEmulator) -> None:
    job = replace(JOB, lang="en", follow_url="http://127.0.0.1:8000/follow/?lang=en#abc")
    outcome = EscposTicketPrinter(f"tcp://127.0.0.1:{emulator.port}").print_ticket(None, job)
    assert outcome.status is PrintStatus.PRINTED
    deadline = time.monotonic() + 5
    while not emulator.receipts and time.monotonic() < deadline:
        time.sleep(0.05)
    qr = [e.text for e in emulator.receipts[0].elements if e.kind == "qr"]
    assert qr == ["http://127.0.0.1:8000/follow/?lang=en#abc"], qr


def test_a_korean_ticket_names_the_queue_in_korean_with_the_japanese() -> None:
    parts = queue_ticket(
        "A-003",
        "転入・転出・転居",
        "http://127.0.0.1:8000/follow/?lang=ko#abc",
        JOB.issued_at_local,
        0,
        5,
        lang="ko",
        queue_en="Moving in / out",
        queue_local="전입・전출・전거",
    )
    names = [p for p in parts if isinstance(p, Line) and p.size == "large"]
    assert [(n.text, n.font) for n in names] == [
        ("전입・전출・전거", WORLD),
        ("転入・転出・転居", None),
    ]


def test_the_korean_queue_name_is_drawn_not_left_as_boxes() -> None:
    """The world font has the Hangul: the line's ink differs from a line of unknown glyphs."""
    line = Line("전입・전출・전거", "large", "center", WORLD)
    drawn = rasterize([line], 576)
    without = rasterize([Line("전입・전출・전거", "large", "center")], 576)  # IPAex: no Hangul
    assert drawn.tobytes() != without.tobytes()
    assert missing_glyphs("전입・전출・전거", WORLD) == []


PAGE_URL = "http://127.0.0.1:8000/pre/?lang=vi#011002"


def test_the_preentry_page_slip_in_vietnamese_has_its_words_and_the_japanese() -> None:
    parts = qr_slip("page", PAGE_URL, "vi", "窓口デモ市")
    texts = [(p.text, p.font) for p in parts if isinstance(p, Line)]
    assert texts[:3] == [
        ("窓口デモ市", None),
        ("Nhập trước & hướng dẫn thủ tục", WORLD),
        ("事前入力・手続きナビ", None),
    ]
    assert [p.content for p in parts if isinstance(p, QrCode)] == [PAGE_URL]
    assert qr_slip("page", PAGE_URL, "ja")[0] == Line("事前入力・手続きナビ", "large", "center")
    assert qr_slip("preentry", "PE-AAAA-BBBB-CCCC", "xx")[0].text == "Your pre-entry QR code"


def test_the_preentry_qr_slip_reaches_the_printer_byte_for_byte(tmp_path: Path) -> None:
    """Exactly the ESC/POS bytes of the slip (raster words, native QR, cut) go through the
    printer transport (python-escpos's file transport standing in for the wire)."""
    out = tmp_path / "printer.bin"
    out.touch()
    job = QrSlipJob("page", PAGE_URL, "vi", "窓口デモ市")
    assert (
        EscposTicketPrinter(f"file://{out}").print_qr_slip(None, job).status is PrintStatus.PRINTED
    )
    sent = out.read_bytes()
    assert sent == encode_job(build_job(qr_slip("page", PAGE_URL, "vi", "窓口デモ市"), 576))
    data = PAGE_URL.encode()
    qr = (
        b"\x1d(k\x04\x001A2\x00"  # model 2
        b"\x1d(k\x03\x001C\x06"  # module size 6 (80 mm paper)
        b"\x1d(k\x03\x001E0"  # error correction L
        + b"\x1d(k" + bytes((len(data) + 3, 0)) + b"1P0" + data  # the page's address
        + b"\x1d(k\x03\x001Q0"  # print it
    )  # fmt: skip
    assert sent.startswith(b"\x1b@") and sent.count(qr) == 1
    assert sent.endswith(b"\x1bd\x06\x1dV\x00")  # feed and full cut
    before, after = sent.split(qr)
    assert b"\x1dv0\x00" in before and b"\x1dv0\x00" in after  # the words drawn, above and below


def test_the_preentry_qr_slip_decodes_on_the_emulator(emulator: PrinterEmulator) -> None:
    job = QrSlipJob("preentry", "PE-AAAA-BBBB-CCCC", "ko", "窓口デモ市")
    printer = EscposTicketPrinter(f"tcp://127.0.0.1:{emulator.port}")
    assert printer.print_qr_slip(None, job).status is PrintStatus.PRINTED
    deadline = time.monotonic() + 5
    while not emulator.receipts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.receipts[0].qr_codes == ["PE-AAAA-BBBB-CCCC"]
