"""A receipt job as blocks, encoded to ESC/POS bytes with python-escpos (its Dummy transport).

Japanese is printed as raster images (``GS v 0``) by default. python-escpos's ``text()`` sends
CJK text as GB18030, which Japanese printers print as garbage, so it is used for ASCII only.
``KanjiText`` uses the printer's kanji ROM (``FS C 1`` Shift_JIS + ``FS &``) for text that JIS X
0208 holds; anything else (髙, 﨑, 𠮷) must go as a raster image.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Literal

from escpos.printer import Dummy
from PIL import Image

PAPER_WIDTHS = (384, 512, 576)  # 58 mm; 80 mm at 180 dpi (TM-T88); 80 mm at 203 dpi (TM-T20)
Align = Literal["left", "center", "right"]

FS = b"\x1c"
KANJI_SHIFT_JIS = FS + b"C\x01"  # FS C 1: kanji code system Shift_JIS
KANJI_ON = FS + b"&"
KANJI_OFF = FS + b"."


@dataclass(frozen=True)
class Raster:
    """An image printed dot for dot (black pixels print); at most the paper width."""

    image: Image.Image


@dataclass(frozen=True)
class Text:
    """ASCII text in the printer's own font, optionally enlarged (1-8 times)."""

    text: str
    width: int = 1
    height: int = 1
    align: Align = "left"
    bold: bool = False


@dataclass(frozen=True)
class KanjiText:
    """One line in the printer's kanji ROM (JIS X 0208 through Shift_JIS)."""

    text: str
    align: Align = "left"


@dataclass(frozen=True)
class Qr:
    """A QR code drawn by the printer itself (GS ( k)."""

    content: str
    size: int = 6
    align: Align = "center"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = False


Block = Raster | Text | KanjiText | Qr | Feed | Cut


@dataclass
class ReceiptJob:
    blocks: list[Block] = field(default_factory=list)
    paper_dots: int = 576

    def __post_init__(self) -> None:
        if self.paper_dots not in PAPER_WIDTHS:
            raise ValueError(f"paper width must be one of {PAPER_WIDTHS} dots")


def kanji_rom_can_print(text: str) -> bool:
    """True when every character is in JIS X 0208 (what a printer's kanji ROM holds)."""
    try:
        text.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return True


def _printer(paper_dots: int) -> Dummy:
    printer = Dummy()
    # Give the profile the paper width (a private copy: profile data is shared between instances).
    printer.profile.profile_data = copy.deepcopy(printer.profile.profile_data)
    printer.profile.profile_data["media"]["width"]["pixels"] = paper_dots
    return printer


def _encode_block(printer: Dummy, block: Block, paper_dots: int) -> None:
    if isinstance(block, Raster):
        if block.image.width > paper_dots:
            raise ValueError(f"image is {block.image.width} dots wide, paper {paper_dots}")
        printer.set(align="left")
        printer.image(block.image, impl="bitImageRaster")
    elif isinstance(block, Text):
        if not block.text.isascii():
            raise ValueError("Text is for ASCII only; send Japanese as Raster or KanjiText")
        printer.set(
            align=block.align,
            bold=block.bold,
            width=block.width,
            height=block.height,
            custom_size=True,
        )
        printer.text(block.text + "\n")
        printer.set(align="left", bold=False, normal_textsize=True)
    elif isinstance(block, KanjiText):
        if not kanji_rom_can_print(block.text):
            raise ValueError("text outside JIS X 0208: send it as Raster")
        printer.set(align=block.align)
        printer._raw(
            KANJI_SHIFT_JIS + KANJI_ON + block.text.encode("shift_jis") + b"\n" + KANJI_OFF
        )
        printer.set(align="left")
    elif isinstance(block, Qr):
        printer.set(align=block.align)
        printer.qr(block.content, size=block.size, native=True)
        printer.text("\n")
        printer.set(align="left")
    elif isinstance(block, Feed):
        printer.print_and_feed(block.lines)
    else:
        printer.cut(mode="PART" if block.partial else "FULL")


def encode_job(job: ReceiptJob) -> bytes:
    """The exact bytes of ``job``: ESC @, the blocks in order (a job should end with Cut)."""
    printer = _printer(job.paper_dots)
    printer.hw("INIT")
    for block in job.blocks:
        _encode_block(printer, block, job.paper_dots)
    return bytes(printer.output)
