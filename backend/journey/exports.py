"""The report for the council: a PDF (reportlab, IPAex embedded) and a CSV of the figures.

Both return ``(filename, content_type, bytes)``; the PDF's text layer holds every figure
(a council member's screen reader, and our tests, read it with pdftotext).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from backend.journey.charts import COLOURS, Chart, all_charts, value_label
from forms.fonts import registered_font
from integrations.csv_rpa import guard_formula

Export = tuple[str, str, bytes]

CSV_HEADER = (
    "event", "label", "visits", "wait_median_min", "wait_p90_min", "service_median_min",
    "counters_per_visit", "forms", "fields_prefilled", "cards_read", "members_typed",
    "signatures", "handed_off", "baseline_surveys", "baseline_wait_median_min",
    "baseline_service_median_min", "baseline_counters_per_visit",
    "baseline_fields_handwritten_per_visit", "change_wait_median_min",
    "change_wait_median_percent", "procedures_suggested", "procedures_taken",
    "visits_handed_off", "handoffs_completed", "backoffice_hours_median",
    "reservations_checked_in", "reservation_no_shows", "preentries_used",
)  # fmt: skip


def _cell(value: Any) -> str:
    return "" if value is None else guard_formula(str(value))


def csv_row(event: str, entry: dict[str, Any], lang: str) -> list[str]:
    base = entry.get("baseline", {})
    backoffice = entry.get("backoffice", {})
    change = (entry.get("change") or {}).get("wait_minutes_median") or {}
    values = [
        event, entry["label_en" if lang == "en" else "label_ja"], entry.get("visits"),
        entry.get("wait_minutes", {}).get("median"), entry.get("wait_minutes", {}).get("p90"),
        entry.get("service_minutes", {}).get("median"), entry.get("counters_per_visit"),
        entry.get("forms"), entry.get("fields_prefilled"), entry.get("cards_read"),
        entry.get("members_typed"), entry.get("signatures"), entry.get("handed_off"),
        base.get("surveys"), base.get("wait_minutes", {}).get("median"),
        base.get("service_minutes", {}).get("median"), base.get("counters_per_visit"),
        base.get("fields_handwritten_per_visit"), change.get("difference"), change.get("percent"),
        entry.get("procedures_suggested"), entry.get("procedures_taken"),
        backoffice.get("visits_handed_off"), backoffice.get("handoffs_completed"),
        backoffice.get("hours_to_complete", {}).get("median"),
        entry.get("reservations_checked_in"), entry.get("reservation_no_shows"),
        entry.get("preentries_used"),
    ]  # fmt: skip
    return [_cell(v) for v in values]


def report_csv(report: dict[str, Any], lang: str = "ja") -> Export:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for event, entry in report["events"].items():
        writer.writerow(csv_row(event, entry, lang))
    name = f"journey-{report['tenant']['code']}-{report['from']}-{report['to']}.csv"
    # BOM: Excel on a municipal PC opens UTF-8 CSV as Shift_JIS without it.
    return name, "text/csv; charset=utf-8", ("\ufeff" + out.getvalue()).encode("utf-8")


class ChartFlowable(Flowable):
    """A ``Chart`` drawn with reportlab's graphics (the same bars as the page's SVG)."""

    def __init__(self, chart: Chart, font: str, width: float = 170 * mm) -> None:
        super().__init__()
        self.chart, self.font, self.width = chart, font, width
        self.height = 12 * mm + len(chart.bars) * 6 * mm

    def draw(self) -> None:
        label_width, plot = 40 * mm, self.width - 70 * mm
        biggest = max((sum(v) for _, v in self.chart.bars), default=0.0) or 1.0
        drawing = Drawing(self.width, self.height)
        title = self.chart.title
        if len(self.chart.series) > 1:  # the legend: dark, then light
            title += "（" + " ＋ ".join(self.chart.series) + "）"
        drawing.add(String(0, self.height - 10, title, fontName=self.font, fontSize=10))
        for row, (label, values) in enumerate(self.chart.bars):
            y = self.height - 12 * mm - row * 6 * mm
            drawing.add(String(0, y + 3, label, fontName=self.font, fontSize=8))
            x = label_width
            for index, value in enumerate(values):
                w = value / biggest * plot
                fill = colors.HexColor(COLOURS[index % len(COLOURS)])
                drawing.add(Rect(x, y, w, 4.5 * mm, fillColor=fill, strokeColor=None))
                x += w
            text = value_label(values) + self.chart.unit
            drawing.add(String(x + 4, y + 3, text, fontName=self.font, fontSize=8))
        drawing.drawOn(self.canv, 0, 0)


def _figures_table(report: dict[str, Any], font: str, lang: str) -> Table:
    head = (
        ["手続き", "件数", "待ち中央値", "待ち90%", "手続き中央値", "窓口数", "印字欄",
         "以前の待ち"]
        if lang == "ja"
        else ["Event", "Visits", "Wait med.", "Wait p90", "Service med.", "Counters",
              "Prefilled", "Wait before"]
    )  # fmt: skip
    rows = [head]
    for event, entry in report["events"].items():
        cells = csv_row(event, entry, lang)
        rows.append(
            [cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[8], cells[14]]
        )
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _operations_table(report: dict[str, Any], font: str, lang: str) -> Table:
    """Procedures suggested and taken, the back office's completion, reservations, pre-entries."""
    head = (
        ["手続き", "提案", "受付", "引継ぎ", "完了", "完了まで(時間)", "予約", "予約不在",
         "事前入力"]
        if lang == "ja"
        else ["Event", "Suggested", "Taken", "Handed off", "Completed", "Hours to done",
              "Booked", "No-shows", "Pre-entry"]
    )  # fmt: skip
    rows = [head]
    for event, entry in report["events"].items():
        cells = csv_row(event, entry, lang)
        rows.append([cells[1], *cells[20:28]])
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def report_pdf(report: dict[str, Any], lang: str = "ja") -> Export:
    font = registered_font("gothic")
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    tenant = report["tenant"]
    heading = "窓口利用体験調査 報告" if lang == "ja" else "Counter journey report"
    period = f"{tenant['name']}（{tenant['code']}） {report['from']} – {report['to']}"
    total = report["total"]
    summary = (
        f"来庁 {total['visits']} 件 / 待ち時間 中央値 {total['wait_minutes']['median']} 分 / "
        f"印字済みの欄 {total['fields_prefilled']}"
        if lang == "ja"
        else f"{total['visits']} visits / median wait {total['wait_minutes']['median']} min / "
        f"{total['fields_prefilled']} fields prefilled"
    )
    story: list[Flowable] = [
        Paragraph(heading, title),
        Paragraph(_escape(period), body),
        Paragraph(_escape(summary), body),
        Spacer(1, 4 * mm),
        _figures_table(report, font, lang),
        Spacer(1, 4 * mm),
        _operations_table(report, font, lang),
        Spacer(1, 6 * mm),
    ]
    for chart in all_charts(report, lang):
        story += [ChartFlowable(chart, font), Spacer(1, 5 * mm)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=heading, leftMargin=18 * mm, rightMargin=18 * mm
    )
    doc.build(story)
    name = f"journey-{tenant['code']}-{report['from']}-{report['to']}.pdf"
    return name, "application/pdf", out.getvalue()


def _escape(text: str) -> str:
    """User text into a reportlab Paragraph, which parses markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
