"""Receipts for 58/80 mm printers: queue ticket, checklist slip, form summary.

A receipt is a list of parts (lines of text, QR codes, rules). ``rasterize`` turns lines into a
1-bit image with the same fonts as the PDFs (IPAex, IPAmj明朝 per character where IPAex lacks a
glyph), because printers' own Japanese is unreliable (see docs/printers.md). The printing side
(backend.printing) decides per line whether to send a raster image or the printer's kanji ROM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from contracts import GuidanceResult, VisitRecord
from forms import outline_glyphs
from forms.data import EVENT_LABEL, route_order
from forms.fonts import OUTLINE, WORLD, clusters, font_path, font_runs
from forms.wareki import to_wareki

Size = Literal["small", "normal", "large", "huge"]
PIXELS: dict[str, int] = {"small": 20, "normal": 26, "large": 40, "huge": 96}
Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Line:
    text: str
    size: Size = "normal"
    align: Align = "left"
    # The font role drawing this line when not the receipt's own (``WORLD`` for a line in the
    # resident's language: Hangul, Simplified Chinese and Vietnamese are not in IPAex).
    font: str | None = None


@dataclass(frozen=True)
class QrCode:
    content: str


@dataclass(frozen=True)
class Rule:
    pass


Part = Line | QrCode | Rule


@cache
def _pil_font(role: str, pixels: int) -> ImageFont.FreeTypeFont:
    if role == OUTLINE:  # Noto Serif CJK JP: raqm draws its variation sequences itself
        found = outline_glyphs.font_file()
        assert found is not None  # the role is only given when the font is there
        path, index = found
        return ImageFont.truetype(str(path), pixels, index=index)
    return ImageFont.truetype(str(font_path(role)), pixels)


def _line_width(line: Line, role: str) -> float:
    pixels = PIXELS[line.size]
    runs = font_runs(line.text, line.font or role)
    return sum(_pil_font(r.role, pixels).getlength(r.text) for r in runs)


def wrap_lines(lines: Sequence[Line | Rule], width: int, role: str = "gothic") -> list[Line | Rule]:
    """Break lines that are wider than the paper (character by character)."""
    out: list[Line | Rule] = []
    for line in lines:
        if isinstance(line, Rule):
            out.append(line)
            continue
        current = ""
        for char in clusters(line.text):  # a variation selector stays with its character
            candidate = Line(current + char, line.size, line.align, line.font)
            if current and _line_width(candidate, role) > width:
                out.append(Line(current, line.size, line.align, line.font))
                current = char
            else:
                current += char
        out.append(Line(current, line.size, line.align, line.font))
    return out


RULE_HEIGHT = 14


def rasterize(lines: Sequence[Line | Rule], width: int, role: str = "gothic") -> Image.Image:
    """Draw ``lines`` (already wrapped) into one 1-bit image ``width`` dots wide."""
    heights = [
        RULE_HEIGHT if isinstance(line, Rule) else int(PIXELS[line.size] * 1.25) for line in lines
    ]
    image = Image.new("L", (width, max(1, sum(heights))), 255)
    draw = ImageDraw.Draw(image)
    y = 0
    for line, height in zip(lines, heights, strict=True):
        if isinstance(line, Rule):
            draw.line([(0, y + height // 2), (width, y + height // 2)], fill=0, width=2)
            y += height
            continue
        pixels = PIXELS[line.size]
        total = _line_width(line, role)
        x = {"left": 0.0, "center": (width - total) / 2, "right": width - total}[line.align]
        baseline = y + int(pixels * 1.0)
        for run in font_runs(line.text, line.font or role):
            font = _pil_font(run.role, pixels)
            draw.text((x, baseline), run.text, font=font, fill=0, anchor="ls")
            x += font.getlength(run.text)
        y += height
    return image.point(lambda v: 0 if v < 128 else 255, mode="1")


def queue_ticket(
    number: str,
    queue: str,
    follow_url: str,
    issued_at: dt.datetime,
    ahead: int | None = None,
    wait_minutes: int | None = None,
    tenant_name: str | None = None,
    *,
    lang: str = "ja",
    queue_en: str | None = None,
    queue_local: str | None = None,
) -> list[Part]:
    """The ticket slip in the language chosen on the ticket machine: Japanese; English; or
    Chinese, Korean, Vietnamese or Portuguese (drawn with the world font) with the queue's name
    in that language (``queue_local``, the municipality's translation, else English). Every
    language but Japanese and English carries the Japanese under it, so a clerk reads it too;
    a language without words prints English with the Japanese."""
    own = None if lang == "ja" else SLIP_WORDS.get(lang, SLIP_WORDS["en"])
    japanese = lang != "en"
    font = WORLD if lang in SLIP_WORDS and lang != "en" else None
    parts: list[Part] = []
    if tenant_name:
        parts.append(Line(tenant_name, "normal", "center"))
    parts += _number_label(own, font, japanese)
    parts.append(Line(number, "huge", "center"))
    parts += _queue_name_lines(lang, queue, queue_en, queue_local)
    if own:
        parts += _own_ticket_lines(own, font, issued_at, ahead, wait_minutes)
    if japanese:
        parts += _japanese_ticket_lines(issued_at, ahead, wait_minutes)
    parts.append(Rule())
    if own:
        parts.append(Line(own.follow_hint, "small", "center", font))
    if japanese:
        parts.append(Line("スマートフォンで呼び出し状況を確認できます", "small", "center"))
    parts.append(QrCode(follow_url))
    if own:
        parts.append(Line(own.when_called, "small", "center", font))
    if japanese:
        parts.append(Line("番号が呼ばれたら表示の窓口へお越しください", "small", "center"))
    return parts


@dataclass(frozen=True)
class SlipWords:
    """A ticket slip's words in one resident language. Counts are written as "label: n", the
    receipt's usual form, so no language needs plural forms here; English, whose sentence needs
    its singular, gives it in ``ahead_one``."""

    your_number: str
    issued: str  # {when}
    ahead: str  # {n}
    wait: str  # {minutes}
    follow_hint: str
    when_called: str
    ahead_one: str | None = None  # exactly one person ahead, where the language needs it


SLIP_WORDS: dict[str, SlipWords] = {
    "en": SlipWords(
        "Your number",
        "Issued {when}",
        "{n} people ahead of you",
        "Estimated wait: about {minutes} min",
        "Scan to follow your number on your phone",
        "When called, go to the counter shown",
        ahead_one="1 person ahead of you",
    ),
    "zh-Hans": SlipWords(
        "您的号码",
        "发券 {when}",
        "前面等候：{n}人",
        "预计等候：约{minutes}分钟",
        "用手机扫描可查看叫号情况",
        "叫到号码时请前往显示的窗口",
    ),
    "ko": SlipWords(
        "대기 번호",
        "발권 {when}",
        "앞 대기 인원: {n}명",
        "예상 대기 시간: 약 {minutes}분",
        "휴대폰으로 스캔하면 호출 상황을 확인할 수 있습니다",
        "번호가 호출되면 표시된 창구로 가 주세요",
    ),
    "vi": SlipWords(
        "Số thứ tự của bạn",
        "Phát lúc {when}",
        "Số người chờ trước bạn: {n}",
        "Thời gian chờ dự kiến: khoảng {minutes} phút",
        "Quét bằng điện thoại để theo dõi số của bạn",
        "Khi được gọi, hãy đến quầy được hiển thị",
    ),
    "pt": SlipWords(
        "Sua senha",
        "Emitida em {when}",
        "Pessoas à sua frente: {n}",
        "Espera estimada: cerca de {minutes} min",
        "Leia com o celular para acompanhar sua senha",
        "Quando chamado, dirija-se ao balcão indicado",
    ),
}


def _number_label(own: SlipWords | None, font: str | None, japanese: bool) -> list[Part]:
    """「受付番号」 in the slip's language: one line when one font draws both, else the
    resident's words over the Japanese."""
    if own is None:
        return [Line("受付番号", "normal", "center")]
    if font is None:
        label = " / ".join([own.your_number, *(["受付番号"] if japanese else [])])
        return [Line(label, "normal", "center")]
    return [Line(own.your_number, "normal", "center", font), Line("受付番号", "normal", "center")]


def _own_ticket_lines(
    words: SlipWords,
    font: str | None,
    issued_at: dt.datetime,
    ahead: int | None,
    wait_minutes: int | None,
) -> list[Part]:
    when = f"{issued_at:%Y-%m-%d %H:%M}"
    lines: list[Part] = [Line(words.issued.format(when=when), "small", "center", font)]
    if ahead is not None:
        text = words.ahead_one if ahead == 1 and words.ahead_one else words.ahead.format(n=ahead)
        lines.append(Line(text, "normal", "center", font))
    if wait_minutes is not None:
        lines.append(Line(words.wait.format(minutes=wait_minutes), "normal", "center", font))
    return lines


def _queue_name_lines(
    lang: str, queue: str, queue_en: str | None, queue_local: str | None
) -> list[Part]:
    """The queue's name in the slip's language, then the Japanese (never the same one twice)."""
    if lang == "ja":
        return [Line(queue, "large", "center")]
    own = (queue_local if lang != "en" else None) or queue_en or queue
    lines: list[Part] = [Line(own, "large", "center", WORLD if own == queue_local else None)]
    if lang != "en" and own != queue:
        lines.append(Line(queue, "large", "center"))
    return lines


# The words of a QR slip printed on the ticket machine, per kind and resident language:
# (title, what to do with the code). The Japanese is printed under any other language.
QR_SLIP_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "page": {
        "ja": (
            "事前入力・手続きナビ",
            "スマートフォンで読み取ると、必要な手続きと持ち物を確かめ、窓口で書かずに済むよう"
            "事前に入力できます。",
        ),
        "en": (
            "Pre-entry & procedure guide",
            "Scan with your phone: see the procedures and what to bring, and fill in the form "
            "so there is nothing to write at the counter.",
        ),
        "zh-Hans": (
            "事先填写・手续指南",
            "用手机扫描：查看所需手续和携带物品，事先填写后在窗口无需书写。",
        ),
        "ko": (
            "사전 입력・절차 안내",
            "휴대폰으로 읽으면 필요한 절차와 준비물을 확인하고, 창구에서 쓰지 않도록 미리 "
            "입력할 수 있습니다.",
        ),
        "vi": (
            "Nhập trước & hướng dẫn thủ tục",
            "Quét bằng điện thoại: xem thủ tục, giấy tờ cần mang và nhập trước để không phải "
            "viết tại quầy.",
        ),
        "pt": (
            "Pré-cadastro e guia de procedimentos",
            "Leia com o celular: veja os procedimentos e o que levar, e preencha antes para "
            "não escrever nada no balcão.",
        ),
    },
    "preentry": {
        "ja": ("事前入力のQRコード", "窓口でこのQRコードを職員にお見せください。"),
        "en": ("Your pre-entry QR code", "Show this QR code to the clerk at the counter."),
        "zh-Hans": ("事先填写的二维码", "请在窗口向工作人员出示此二维码。"),
        "ko": ("사전 입력 QR 코드", "창구에서 직원에게 이 QR 코드를 보여 주세요."),
        "vi": ("Mã QR nhập trước của bạn", "Vui lòng đưa mã QR này cho nhân viên tại quầy."),
        "pt": ("Seu QR code do pré-cadastro", "Mostre este QR code ao atendente no balcão."),
    },
}


def qr_slip(kind: str, content: str, lang: str, tenant_name: str | None = None) -> list[Part]:
    """A slip with one QR code (the pre-entry page, or a finished pre-entry's code) and its
    words in the resident's language, the Japanese under them; a language without words (or
    an unknown one) prints English. Lines in Chinese, Korean, Vietnamese or Portuguese are
    drawn with the world font (``WORLD``)."""
    texts = QR_SLIP_TEXTS[kind]
    own = lang if lang in texts else "en"
    title, hint = texts[own]
    font = None if own in ("ja", "en") else WORLD
    parts: list[Part] = []
    if tenant_name:
        parts.append(Line(tenant_name, "normal", "center"))
    parts.append(Line(title, "large", "center", font))
    if own != "ja":
        parts.append(Line(texts["ja"][0], "normal", "center"))
    parts += [Rule(), QrCode(content), Line(hint, "normal", "left", font)]
    if own != "ja":
        parts.append(Line(texts["ja"][1], "small", "left"))
    return parts


def _japanese_ticket_lines(
    issued_at: dt.datetime, ahead: int | None, wait_minutes: int | None
) -> list[Part]:
    lines: list[Part] = [
        Line(f"発券 {to_wareki(issued_at.date())} {issued_at:%H:%M}", "small", "center")
    ]
    if ahead is not None:
        lines.append(Line(f"お待ちの方 {ahead}人", "normal", "center"))
    if wait_minutes is not None:
        lines.append(Line(f"待ち時間の目安 約{wait_minutes}分", "normal", "center"))
    return lines


def checklist_slip(record: VisitRecord, guidance: GuidanceResult | None) -> list[Part]:
    """The procedures in route order, as on the A4 checklist, for the resident to carry."""
    parts: list[Part] = [
        Line("手続きチェックシート", "large", "center"),
        Line(
            f"{record.tenant.name}  {EVENT_LABEL[record.event]}  {to_wareki(record.filed_on)}",
            "small",
            "center",
        ),
        Rule(),
    ]
    procedures = route_order(guidance) if guidance else []
    if not procedures:
        parts.append(Line("手続きの案内はまだありません。窓口でお尋ねください。", "normal"))
    for index, procedure in enumerate(procedures, start=1):
        counter = procedure.counter
        where = " ".join(p for p in (counter.floor, counter.number and f"{counter.number}番") if p)
        parts.append(Line(f"□ {index}. {procedure.name}", "normal"))
        parts.append(Line(f"   {counter.name} {where}".rstrip(), "small"))
        if procedure.items:
            parts.append(Line(f"   持ち物: {'・'.join(procedure.items)}", "small"))
        if procedure.deadline:
            parts.append(Line(f"   期限: {to_wareki(procedure.deadline)}まで", "small"))
        if procedure.fee_yen:
            parts.append(Line(f"   手数料: {procedure.fee_yen:,}円", "small"))
    if procedures:
        fee = sum(p.fee_yen for p in procedures)
        parts += [Rule(), Line(f"手続き {len(procedures)}件  手数料 計{fee:,}円", "normal")]
    parts += _reception(record)
    return parts


def _reception(record: VisitRecord) -> list[Part]:
    """The visit as the resident knows it: ticket number and date (never an internal id)."""
    if not record.reception_label:
        return []
    return [Line(f"受付番号 {record.reception_label}", "small", "right")]


def documents_uri(visit_id: str | None, documents: Sequence[tuple[str, str]]) -> str:
    """What the summary's QR code holds for the back office: the visit and each form's hash."""
    hashes = "&".join(f"sha256={digest}" for _, digest in documents)
    return f"madoguchi:documents?visit={visit_id or ''}" + (f"&{hashes}" if hashes else "")


def form_summary(record: VisitRecord, documents: Sequence[tuple[str, str]]) -> list[Part]:
    """Which forms were prepared for this visit; their hashes only in the QR code (machines)."""
    parts: list[Part] = [
        Line("作成した届出書・申請書", "large", "center"),
        Line(f"{record.tenant.name}  {to_wareki(record.filed_on)}", "small", "center"),
        Rule(),
    ]
    for title, _digest in documents:
        parts.append(Line(f"・{title}", "normal"))
    names = "、".join(member.name for member in record.members)
    if names:
        parts.append(Line(f"対象の方: {names}", "small"))
    parts += _reception(record)
    if documents:
        parts.append(QrCode(documents_uri(record.visit_id, documents)))
    return parts
