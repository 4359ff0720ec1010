"""An ESC/POS receipt printer on TCP (port 9100 style) for tests and the demo.

It answers DLE EOT from a configurable state, decodes what it receives (ESC @, text and its
size/alignment, kanji mode FS C / FS & / FS ., raster GS v 0, QR GS ( k, cut GS V) and writes,
per receipt, a PNG preview, the decoded elements as JSON and the raw bytes. While the state is
a fault (offline, cover open, paper out) it prints nothing, like a real printer refusing a job.

``start_emulator()`` runs it on a background thread (``make run`` uses it for the demo);
``madoguchi printer emulate`` runs it in the foreground.
"""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

State = Literal["ok", "paper-near-end", "paper-out", "cover-open", "offline"]
STATES: tuple[str, ...] = ("ok", "paper-near-end", "paper-out", "cover-open", "offline")

# DLE EOT replies (n = 1, 2, 3, 4) per state; fixed bits 0x12 always set.
STATUS_REPLIES: dict[str, dict[int, int]] = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper-near-end": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    "paper-out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E},
    "cover-open": {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
    "offline": {1: 0x1A, 2: 0x52, 3: 0x52, 4: 0x12},
}
PRINTING_STATES = {"ok", "paper-near-end"}
FONT_FILES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
# ESC and GS commands followed by exactly one parameter byte that the preview ignores.
ESC_ONE = set(b"-2GMRSTUV{cJ") - {ord("2")}
GS_ONE = set(b"BbHhfwkTDE")
GS_TWO = set(b"LWP")


@dataclass
class Element:
    kind: str  # text, kanji, raster, qr, feed
    text: str | None = None
    width: int = 0
    height: int = 0
    align: str = "left"
    scale_w: int = 1
    scale_h: int = 1
    bold: bool = False
    image: Image.Image | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "image" and v not in (None, "")}
        return data


@dataclass
class Receipt:
    elements: list[Element] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    initialized: bool = False
    cut: bool = False
    kanji_system: int | None = None

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.elements if e.kind in ("text", "kanji") and e.text]

    @property
    def qr_codes(self) -> list[str]:
        return [e.text for e in self.elements if e.kind == "qr" and e.text]

    @property
    def rasters(self) -> list[Element]:
        return [e for e in self.elements if e.kind == "raster"]


class Incomplete(Exception):
    """The buffer ends inside a command: wait for more bytes."""


class Decoder:
    """Incremental ESC/POS decoder for one connection."""

    def __init__(self, emulator: PrinterEmulator) -> None:
        self.emulator = emulator
        self.buffer = bytearray()
        self.receipt = Receipt()
        self.line = bytearray()
        self.align = "left"
        self.bold = False
        self.scale = (1, 1)
        self.kanji = False
        self.qr_data: str | None = None
        self.qr_size = 3

    # -- public -----------------------------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        """Consume ``data``; return the bytes to send back (status replies)."""
        self.buffer += data
        replies = bytearray()
        while self.buffer:
            try:
                used, reply = self._one(self.buffer)
            except Incomplete:
                break
            if reply is None:
                self.receipt.raw += self.buffer[:used]
            else:
                replies += reply
            del self.buffer[:used]
        return bytes(replies)

    def close(self) -> None:
        self._flush_line()
        if self.receipt.elements:
            self.emulator.finish(self.receipt)

    # -- decoding ---------------------------------------------------------------------------
    def _need(self, buf: bytearray, n: int) -> None:
        if len(buf) < n:
            raise Incomplete

    def _one(self, buf: bytearray) -> tuple[int, bytes | None]:
        first = buf[0]
        if first == 0x10:  # DLE
            self._need(buf, 3)
            if buf[1] == 0x04:
                return 3, bytes((self.emulator.status_byte(buf[2]),))
            return 1, None
        if first == 0x1B:
            return self._esc(buf), None
        if first == 0x1D:
            return self._gs(buf), None
        if first == 0x1C:
            return self._fs(buf), None
        if first == 0x0A:
            self._flush_line(force=True)
            return 1, None
        if first in (0x0D, 0x00):
            return 1, None
        if self.kanji and (0x81 <= first <= 0x9F or 0xE0 <= first <= 0xFC):
            self._need(buf, 2)
            self.line += buf[:2]
            return 2, None
        self.line.append(first)
        return 1, None

    def _esc(self, buf: bytearray) -> int:
        self._need(buf, 2)
        command = buf[1]
        if command == ord("@"):
            self._flush_line()
            self.align, self.bold, self.scale, self.kanji = "left", False, (1, 1), False
            self.receipt.initialized = True
            return 2
        if command in (ord("2"),):
            return 2
        self._need(buf, 3)
        value = buf[2]
        if command == ord("a"):
            self.align = {
                0: "left",
                1: "center",
                2: "right",
                48: "left",
                49: "center",
                50: "right",
            }.get(value, "left")
        elif command == ord("E"):
            self.bold = bool(value & 1)
        elif command == ord("!"):
            self.scale = (2 if value & 0x20 else 1, 2 if value & 0x10 else 1)
            self.bold = bool(value & 0x08)
        elif command == ord("d"):
            self._flush_line()
            self.receipt.elements.append(Element(kind="feed", height=value))
        return 3

    def _gs(self, buf: bytearray) -> int:
        self._need(buf, 2)
        command = buf[1]
        if command == ord("!"):
            self._need(buf, 3)
            self.scale = ((buf[2] >> 4) + 1, (buf[2] & 0x0F) + 1)
            return 3
        if command == ord("v"):
            return self._raster(buf)
        if command == ord("("):
            return self._two_d(buf)
        if command == ord("V"):
            self._need(buf, 3)
            used = 4 if buf[2] in (65, 66, 97, 98, 103, 104) else 3
            self._need(buf, used)
            self._flush_line()
            self.receipt.cut = True
            self.emulator.finish(self.receipt)
            self.receipt = Receipt(initialized=True)
            return used
        if command in GS_TWO:
            self._need(buf, 4)
            return 4
        if command in GS_ONE:
            self._need(buf, 3)
            return 3
        return 2

    def _fs(self, buf: bytearray) -> int:
        self._need(buf, 2)
        command = buf[1]
        if command == ord("&"):
            self.kanji = True
            return 2
        if command == ord("."):
            self._flush_line()
            self.kanji = False
            return 2
        if command in (ord("C"), ord("!"), ord("-"), ord("W")):
            self._need(buf, 3)
            if command == ord("C"):
                self.receipt.kanji_system = buf[2]
            return 3
        return 2

    def _raster(self, buf: bytearray) -> int:
        self._need(buf, 8)
        width_bytes = buf[4] | buf[5] << 8
        height = buf[6] | buf[7] << 8
        size = 8 + width_bytes * height
        self._need(buf, size)
        self._flush_line()
        bits = bytes(buf[8:size])
        image = Image.frombytes("1", (width_bytes * 8, height), bits)
        image = Image.eval(image.convert("L"), lambda v: 255 - v).convert("1")
        self.receipt.elements.append(
            Element(
                kind="raster", width=width_bytes * 8, height=height, align=self.align, image=image
            )
        )
        return size

    def _two_d(self, buf: bytearray) -> int:
        self._need(buf, 5)
        if buf[2] != ord("k"):
            length = buf[3] | buf[4] << 8
            self._need(buf, 5 + length)
            return 5 + length
        length = buf[3] | buf[4] << 8
        self._need(buf, 5 + length)
        body = bytes(buf[5 : 5 + length])
        cn, fn = body[0], body[1]
        if cn == 0x31 and fn == 0x43:
            self.qr_size = body[2]
        elif cn == 0x31 and fn == 0x50:
            self.qr_data = body[3:].decode("utf-8", "replace")
        elif cn == 0x31 and fn == 0x51 and self.qr_data is not None:
            self._flush_line()
            self.receipt.elements.append(
                Element(kind="qr", text=self.qr_data, align=self.align, scale_w=self.qr_size)
            )
        return 5 + length

    def _flush_line(self, force: bool = False) -> None:
        if not self.line and not force:
            return
        raw = bytes(self.line)
        self.line.clear()
        kind = "kanji" if self.kanji else "text"
        text = raw.decode("shift_jis", "replace") if self.kanji else raw.decode("cp437")
        self.receipt.elements.append(
            Element(
                kind=kind,
                text=text,
                align=self.align,
                scale_w=self.scale[0],
                scale_h=self.scale[1],
                bold=self.bold,
            )
        )


class PrinterEmulator:
    """State, output folder and the receipts printed so far (thread-safe enough for tests)."""

    def __init__(
        self, state: str = "ok", out_dir: Path | None = None, paper_dots: int = 576
    ) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        self.state = state
        self.out_dir = out_dir
        self.paper_dots = paper_dots
        self.receipts: list[Receipt] = []
        self.discarded = 0
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    def status_byte(self, n: int) -> int:
        return STATUS_REPLIES[self.state].get(n, 0x12)

    def finish(self, receipt: Receipt) -> None:
        if not receipt.elements:
            return
        if self.state not in PRINTING_STATES:
            self.discarded += 1
            log.warning("emulator: job discarded, printer state %s", self.state)
            return
        with self._lock:  # files first, then the list: a waiting test sees both or neither
            if self.out_dir is not None:
                write_receipt(receipt, self.out_dir, len(self.receipts) + 1, self.paper_dots)
            self.receipts.append(receipt)

    # -- server -----------------------------------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 9100) -> None:
        emulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                decoder = Decoder(emulator)
                while True:
                    try:
                        data = self.request.recv(65536)
                    except OSError:
                        break
                    if not data:
                        break
                    reply = decoder.feed(data)
                    if reply:
                        self.request.sendall(reply)
                decoder.close()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer((host, port), Handler)
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def serve_forever(self) -> None:
        assert self._server is not None
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start_emulator(
    port: int = 9100,
    state: str = "ok",
    out_dir: Path | None = None,
    host: str = "127.0.0.1",
    paper_dots: int = 576,
) -> PrinterEmulator:
    """Start an emulator on a background daemon thread (port 0 picks a free port)."""
    emulator = PrinterEmulator(state=state, out_dir=out_dir, paper_dots=paper_dots)
    emulator.serve(host, port)
    emulator._thread = threading.Thread(
        target=emulator.serve_forever, name="printer-emulator", daemon=True
    )
    emulator._thread.start()
    return emulator


# -- preview ----------------------------------------------------------------------------------
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def _element_image(element: Element, paper_dots: int) -> Image.Image:
    if element.kind == "raster" and element.image is not None:
        return element.image.convert("L")
    if element.kind == "qr":
        code = qrcode.QRCode(box_size=max(1, element.scale_w), border=2)
        code.add_data(element.text or "")
        return code.make_image().get_image().convert("L")
    if element.kind == "feed":
        return Image.new("L", (1, 30 * element.height), 255)
    # The printer's own font: 12×24 dots a half-width character, 24×24 a kanji, times the scale.
    text = element.text or ""
    cells = sum(1 if ord(c) < 0x80 or 0xFF61 <= ord(c) <= 0xFF9F else 2 for c in text)
    width = max(1, min(cells * 12 * element.scale_w, paper_dots))
    height = 24 * element.scale_h
    scratch = Image.new("L", (max(1, cells * 12), 24), 255)
    font = _font(22)
    x = 0
    for char in text:
        ImageDraw.Draw(scratch).text((x, 1), char, font=font, fill=0)
        x += 12 if ord(char) < 0x80 else 24
    return scratch.resize((width, height))


def render_preview(receipt: Receipt, paper_dots: int) -> Image.Image:
    parts = [_element_image(e, paper_dots) for e in receipt.elements]
    height = sum(p.height for p in parts) + 40
    page = Image.new("L", (paper_dots, height), 255)
    y = 20
    for element, part in zip(receipt.elements, parts, strict=True):
        x = {
            "left": 0,
            "center": (paper_dots - part.width) // 2,
            "right": paper_dots - part.width,
        }.get(element.align, 0)
        page.paste(part, (max(0, x), y))
        y += part.height
    if receipt.cut:
        ImageDraw.Draw(page).line([(0, height - 2), (paper_dots, height - 2)], fill=128, width=1)
    return page


def write_receipt(receipt: Receipt, out_dir: Path, number: int, paper_dots: int) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"receipt-{number:04d}"
    render_preview(receipt, paper_dots).save(stem.with_suffix(".png"))
    stem.with_suffix(".bin").write_bytes(bytes(receipt.raw))
    summary = {
        "cut": receipt.cut,
        "kanji_system": receipt.kanji_system,
        "elements": [e.to_json() for e in receipt.elements],
    }
    stem.with_suffix(".json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return stem.with_suffix(".png")
