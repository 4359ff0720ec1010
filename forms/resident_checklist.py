"""The resident's copy of the checklist, in the resident's language with the Japanese beside it.

The A4 手続きチェックシート (``layouts/checklist.yaml``) is the signed, Japanese document. This
copy is what a foreign resident carries through the building: each procedure, counter and item
to bring in their language (``ProcedureResult.local``, filled by ``backend.guidance.localize``)
with the Japanese under it, so that a clerk at any counter can read the same line. It is not
signed and not stored; it is drawn again on request.

Fonts: the resident's text in WenQuanYi Micro Hei (Chinese, Hangul, Vietnamese, Latin), the
Japanese in IPAex Gothic with IPAmj明朝 for rare kanji; each character goes to the first font of
its chain that has it (``glyph_roles``), so a test can check that nothing is drawn as tofu.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Iterator
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from contracts import GuidanceResult, ProcedureResult, VisitRecord
from forms.fonts import FALLBACK, WORLD, has_glyph, registered_font
from forms.pdf import Rendered
from forms.wareki import to_wareki

GOTHIC = "gothic"
LOCAL_CHAIN = (WORLD, GOTHIC, FALLBACK)
JAPANESE_CHAIN = (GOTHIC, FALLBACK, WORLD)
LANGUAGES = ("ja", "en", "zh", "ko", "vi", "pt")

# CLDR plural categories of the resident's languages (zh, ko, vi, ja: one form only).
PLURAL_ONE = {"en": lambda n: n == 1, "pt": lambda n: n in (0, 1)}

Messages = dict[str, str]
LABELS: dict[str, dict[str, str | Messages]] = {
    "ja": {
        "title": "手続きチェックシート",
        "name": "お名前",
        "event": "手続きの種類",
        "filed": "届出日",
        "instruction": "上から順に窓口を回ってください。終わった手続きの□に印をつけます。",
        "procedures": {"other": "手続き {n}件"},
        "counters": {"other": "窓口 {n}か所"},
        "minutes": "目安 約{n}分",
        "fee_total": "手数料 計{fee}円",
        "no_fee": "手数料なし",
        "col_procedure": "手続き",
        "col_where": "担当・窓口",
        "col_items": "持ち物",
        "col_when": "期限・手数料",
        "counter_number": "{n}番窓口",
        "information": "案内",
        "fee": "{fee}円",
        "free": "無料",
        "until": "{date}まで",
        "japanese_note": "",
        "page": "{n}ページ",
    },
    "en": {
        "title": "Your checklist of procedures",
        "name": "Name",
        "event": "Reason for your visit",
        "filed": "Date",
        "instruction": "Go to the counters from top to bottom. Tick the box when a procedure "
        "is done. The Japanese under each line is for the staff.",
        "procedures": {"one": "{n} procedure", "other": "{n} procedures"},
        "counters": {"one": "{n} counter", "other": "{n} counters"},
        "minutes": "about {n} min",
        "fee_total": "fees ¥{fee}",
        "no_fee": "no fees",
        "col_procedure": "Procedure",
        "col_where": "Where",
        "col_items": "What to bring",
        "col_when": "Deadline / fee",
        "counter_number": "Counter {n}",
        "information": "Information",
        "fee": "¥{fee}",
        "free": "Free",
        "until": "by {date}",
        "japanese_note": "The Japanese text is the official one.",
        "page": "Page {n}",
    },
    "zh": {
        "title": "手续确认单",
        "name": "姓名",
        "event": "办理事项",
        "filed": "日期",
        "instruction": "请按从上到下的顺序前往各窗口。办完的手续请在方框内打勾。"
        "每行下方的日文供工作人员查看。",
        "procedures": {"other": "手续 {n} 项"},
        "counters": {"other": "窗口 {n} 个"},
        "minutes": "约 {n} 分钟",
        "fee_total": "手续费合计 {fee} 日元",
        "no_fee": "无手续费",
        "col_procedure": "手续",
        "col_where": "地点",
        "col_items": "需携带的物品",
        "col_when": "期限/手续费",
        "counter_number": "{n} 号窗口",
        "information": "咨询",
        "fee": "{fee} 日元",
        "free": "免费",
        "until": "{date}之前",
        "japanese_note": "以日文为准。",
        "page": "第 {n} 页",
    },
    "ko": {
        "title": "절차 체크리스트",
        "name": "성명",
        "event": "방문 목적",
        "filed": "날짜",
        "instruction": "위에서부터 순서대로 창구를 방문해 주세요. 끝난 절차는 네모 칸에 "
        "표시합니다. 각 줄 아래의 일본어는 직원용입니다.",
        "procedures": {"other": "절차 {n}건"},
        "counters": {"other": "창구 {n}곳"},
        "minutes": "약 {n}분",
        "fee_total": "수수료 합계 {fee}엔",
        "no_fee": "수수료 없음",
        "col_procedure": "절차",
        "col_where": "장소",
        "col_items": "준비물",
        "col_when": "기한·수수료",
        "counter_number": "{n}번 창구",
        "information": "안내",
        "fee": "{fee}엔",
        "free": "무료",
        "until": "{date}까지",
        "japanese_note": "일본어 문구가 정식 내용입니다.",
        "page": "{n}쪽",
    },
    "vi": {
        "title": "Danh sách thủ tục của bạn",
        "name": "Họ tên",
        "event": "Lý do đến",
        "filed": "Ngày",
        "instruction": "Hãy đến các quầy theo thứ tự từ trên xuống. Đánh dấu vào ô khi xong "
        "một thủ tục. Tiếng Nhật dưới mỗi dòng dành cho nhân viên.",
        "procedures": {"other": "{n} thủ tục"},
        "counters": {"other": "{n} quầy"},
        "minutes": "khoảng {n} phút",
        "fee_total": "lệ phí {fee} yên",
        "no_fee": "không mất lệ phí",
        "col_procedure": "Thủ tục",
        "col_where": "Nơi làm",
        "col_items": "Cần mang theo",
        "col_when": "Hạn / lệ phí",
        "counter_number": "Quầy số {n}",
        "information": "Hướng dẫn",
        "fee": "{fee} yên",
        "free": "Miễn phí",
        "until": "trước {date}",
        "japanese_note": "Văn bản tiếng Nhật là bản chính thức.",
        "page": "Trang {n}",
    },
    "pt": {
        "title": "Sua lista de procedimentos",
        "name": "Nome",
        "event": "Motivo da visita",
        "filed": "Data",
        "instruction": "Vá aos guichês de cima para baixo. Marque o quadrado quando terminar "
        "um procedimento. O japonês abaixo de cada linha é para os funcionários.",
        "procedures": {"one": "{n} procedimento", "other": "{n} procedimentos"},
        "counters": {"one": "{n} guichê", "other": "{n} guichês"},
        "minutes": "cerca de {n} min",
        "fee_total": "taxas ¥{fee}",
        "no_fee": "sem taxas",
        "col_procedure": "Procedimento",
        "col_where": "Onde",
        "col_items": "O que levar",
        "col_when": "Prazo / taxa",
        "counter_number": "Guichê {n}",
        "information": "Informações",
        "fee": "¥{fee}",
        "free": "Grátis",
        "until": "até {date}",
        "japanese_note": "O texto em japonês é o oficial.",
        "page": "Página {n}",
    },
}
MONTHS_EN = "January February March April May June July August September October November"
MONTHS_EN += " December"


def plural(lang: str, n: int) -> str:
    """The CLDR plural category of ``n`` (integers) in ``lang``: one or other."""
    rule = PLURAL_ONE.get(lang)
    return "one" if rule is not None and rule(n) else "other"


def label(lang: str, key: str) -> str:
    value = LABELS[lang][key]
    assert isinstance(value, str)
    return value


def count(lang: str, key: str, n: int) -> str:
    """A count in ``lang`` with its plural form, e.g. "1 procedure" / "3 procedures"."""
    forms = LABELS[lang][key]
    assert isinstance(forms, dict)
    return forms.get(plural(lang, n), forms["other"]).format(n=n)


def local_date(day: dt.date, lang: str) -> str:
    if lang == "en":
        return f"{day.day} {MONTHS_EN.split()[day.month - 1]} {day.year}"
    if lang in ("zh", "ja"):
        return f"{day.year}年{day.month}月{day.day}日"
    if lang == "ko":
        return f"{day.year}년 {day.month}월 {day.day}일"
    return f"{day.day:02d}/{day.month:02d}/{day.year}"  # vi, pt


def money(fee: int, lang: str) -> str:
    return f"{fee:,}".replace(",", ".") if lang in ("vi", "pt") else f"{fee:,}"


# --- fonts --------------------------------------------------------------------------------


def glyph_roles(text: str, chain: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(run, role) pairs: each character in the first font of ``chain`` that has it; a
    character none has stays with the chain's first font (``missing`` reports it)."""
    run, role = "", chain[0]
    for char in text:
        wanted = next((r for r in chain if char.isspace() or has_glyph(r, char)), chain[0])
        if wanted != role and run:
            yield run, role
            run = ""
        role = wanted
        run += char
    if run:
        yield run, role


def missing(text: str, chain: tuple[str, ...]) -> list[str]:
    """Characters of ``text`` no font of ``chain`` can draw."""
    return [c for c in text if not c.isspace() and not any(has_glyph(r, c) for r in chain)]


def markup(text: str, chain: tuple[str, ...]) -> str:
    """``text`` escaped for Paragraph, each run in its font."""
    return "".join(
        f'<font face="{registered_font(role)}">{escape(run)}</font>'
        for run, role in glyph_roles(text, chain)
    )


@functools.cache
def _style(name: str, size: float, wrap: str, colour: str) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=registered_font(GOTHIC),
        fontSize=size,
        leading=size * 1.3,
        wordWrap=wrap,
        textColor=colors.HexColor(colour),
    )


def _local(text: str, lang: str, size: float = 9, *, bold: bool = False) -> Paragraph:
    body = markup(text, LOCAL_CHAIN)
    wrap = "CJK" if lang in ("zh", "ja") else "LTR"
    style = _style(f"local-{lang}-{size}", size, wrap, "#000000")
    return Paragraph(f"<b>{body}</b>" if bold else body, style)


def _japanese(text: str, size: float = 7) -> Paragraph:
    return Paragraph(markup(text, JAPANESE_CHAIN), _style(f"ja-{size}", size, "CJK", "#444444"))


def _pair(local: str, japanese: str, lang: str, size: float, bold: bool = False) -> list[Paragraph]:
    """The resident's text, and the Japanese under it unless they are the same."""
    cell = [_local(local, lang, size, bold=bold)]
    if lang != "ja" and japanese and japanese != local:
        cell.append(_japanese(japanese, size - 1.5))
    return cell


# --- the document -------------------------------------------------------------------------


def _where(procedure: ProcedureResult, lang: str) -> list[Paragraph]:
    counter = procedure.counter
    local = procedure.local
    number = counter.number
    if number:
        number = (
            label(lang, "counter_number").format(n=number)
            if number.isascii()
            else label(lang, "information")
        )
    floor = local.floor if local else counter.floor
    place = " · ".join(p for p in (floor, number) if p)
    japanese_place = " ".join(
        p for p in (counter.floor, counter.number and f"{counter.number}番") if p
    )
    cell = _pair(local.counter if local else counter.name, counter.name, lang, 8.5)
    cell.append(_local(place, lang, 8.5, bold=True))
    if lang != "ja" and japanese_place:
        cell.append(_japanese(japanese_place, 7))
    return cell


def _procedure_cell(procedure: ProcedureResult, lang: str) -> list[Paragraph]:
    local = procedure.local
    cell = _pair(local.name if local else procedure.name, procedure.name, lang, 9.5, bold=True)
    for reason in local.reasons if local else procedure.reasons:
        cell.append(_local(reason, lang, 7.5))
    for note in local.notes if local else procedure.notes:
        cell.append(_local(note, lang, 7))
    return cell


def _items_cell(procedure: ProcedureResult, lang: str) -> list[Paragraph]:
    local_items = procedure.local.items if procedure.local else procedure.items
    cell: list[Paragraph] = []
    for local, japanese in zip(local_items, procedure.items, strict=False):
        cell += _pair(f"• {local}", japanese, lang, 8)
    return cell


def _when_cell(procedure: ProcedureResult, lang: str) -> list[Paragraph]:
    cell: list[Paragraph] = []
    if procedure.deadline:
        when = label(lang, "until").format(date=local_date(procedure.deadline, lang))
        cell += _pair(when, to_wareki(procedure.deadline) + "まで", lang, 8)
    fee = procedure.fee_yen
    text = label(lang, "fee").format(fee=money(fee, lang)) if fee else label(lang, "free")
    cell += _pair(text, f"{fee:,}円" if fee else "無料", lang, 8)
    return cell


def _totals(guidance: GuidanceResult, lang: str) -> str:
    procedures = guidance.procedures
    totals = guidance.totals
    n = totals.procedures or len(procedures)
    counters = totals.counters or len({p.counter.id for p in procedures})
    minutes = totals.minutes or sum(p.minutes for p in procedures)
    fee = totals.fee_yen or sum(p.fee_yen for p in procedures)
    return " · ".join(
        [
            count(lang, "procedures", n),
            count(lang, "counters", counters),
            label(lang, "minutes").format(n=minutes),
            label(lang, "fee_total").format(fee=money(fee, lang)) if fee else label(lang, "no_fee"),
        ]
    )


def _table(guidance: GuidanceResult, lang: str) -> Table:
    header = [
        _local("#", lang, 8),
        _local("", lang, 8),
        *(
            _pair(label(lang, key), label("ja", key), lang, 8.5, bold=True)
            for key in ("col_procedure", "col_where", "col_items", "col_when")
        ),
    ]
    rows: list[list[object]] = [header]
    box = _japanese("□", 14)
    # the guidance's own order is the route (floor, then the counter's order on the floor)
    for number, procedure in enumerate(guidance.procedures, start=1):
        rows.append(
            [
                _local(str(number), lang, 9),
                box,
                _procedure_cell(procedure, lang),
                _where(procedure, lang),
                _items_cell(procedure, lang),
                _when_cell(procedure, lang),
            ]
        )
    widths = [7 * mm, 8 * mm, 53 * mm, 38 * mm, 52 * mm, 28 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), registered_font(GOTHIC)),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _page_footer(lang: str) -> object:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        text = label(lang, "page").format(n=doc.page)
        note = label(lang, "japanese_note")
        line = f"{note}  {text}".strip()
        runs = list(glyph_roles(line, LOCAL_CHAIN))
        width = sum(canvas.stringWidth(run, registered_font(role), 8) for run, role in runs)
        cursor = A4[0] - 12 * mm - width
        for run, role in runs:
            canvas.setFont(registered_font(role), 8)
            canvas.drawString(cursor, 8 * mm, run)
            cursor += canvas.stringWidth(run, registered_font(role), 8)
        canvas.restoreState()

    return draw


def texts(record: VisitRecord, guidance: GuidanceResult, lang: str, event: str) -> list[str]:
    """The texts in the resident's language every copy draws (for glyph checks): the fixed
    labels, the totals, the event, and each procedure's local texts."""
    fixed = ["title", "name", "event", "filed", "instruction", "japanese_note"]
    fixed += ["col_procedure", "col_where", "col_items", "col_when"]
    out = [label(lang, key) for key in fixed]
    out += [_totals(guidance, lang), event, local_date(record.filed_on, lang)]
    for p in guidance.procedures:
        local = p.local
        if local is not None:
            out += [local.name, local.counter, local.floor or "", *local.reasons]
            out += [*local.items, *local.notes]
    return out


def render(
    record: VisitRecord, guidance: GuidanceResult, lang: str, *, event: str | None = None
) -> Rendered:
    """The resident's checklist in ``lang`` (guidance localized for it), as a PDF."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=label(lang, "title"),
        lang=lang,
        # not Helvetica (base-14, not embedded), which the canvas would otherwise list
        initialFontName=registered_font(GOTHIC),
    )
    applicant = record.applicant.name if record.applicant else ""
    if not applicant and record.members:
        applicant = record.members[0].name
    event_local = event or record.event
    story: list[object] = [
        Paragraph(
            markup(label(lang, "title"), LOCAL_CHAIN),
            _style(f"title-{lang}", 17, "CJK" if lang in ("zh", "ja") else "LTR", "#000000"),
        ),
    ]
    if lang != "ja":
        story.append(_japanese(label("ja", "title"), 10))
    story.append(Spacer(1, 3 * mm))
    name_cell = [*_pair(label(lang, "name"), "お名前", lang, 7.5), _japanese(applicant, 11)]
    event_cell = _pair(label(lang, "event"), "手続きの種類", lang, 7.5)
    event_cell.append(_local(event_local, lang, 10, bold=True))
    date_cell = _pair(label(lang, "filed"), "届出日", lang, 7.5)
    date_cell.append(_local(local_date(record.filed_on, lang), lang, 10))
    info = [[name_cell, event_cell, date_cell, _pair(record.tenant.name, "", lang, 9)]]
    info_table = Table(info, colWidths=[60 * mm, 52 * mm, 40 * mm, 34 * mm])
    info_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), registered_font(GOTHIC)),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [info_table, Spacer(1, 2 * mm)]
    story.append(_local(_totals(guidance, lang), lang, 10, bold=True))
    story.append(_local(label(lang, "instruction"), lang, 8.5))
    if lang != "ja":
        story.append(_japanese(str(LABELS["ja"]["instruction"]), 7.5))
    story += [Spacer(1, 2 * mm), _table(guidance, lang)]
    footer = _page_footer(lang)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    filename = f"checklist-{record.visit_id or 'draft'}-{lang}.pdf"
    return Rendered(filename, "application/pdf", buffer.getvalue())
