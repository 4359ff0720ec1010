"""The report's charts as data, drawn as SVG here (server-side, no script, no CDN).

A chart is horizontal bars, each bar one or more stacked segments (wait + service): the same
``Chart`` is drawn in the PDF (backend/journey/exports.py), so page and paper agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from backend.journey.figures import event_label

COLOURS = ("#1f5fa8", "#8cb8e6", "#c0504d", "#9bbb59")
BAR, GAP, LABEL_WIDTH, PLOT_WIDTH = 22, 8, 170, 420

TEXT = {
    "ja": {
        "before": "以前（調査）", "after": "現在", "wait": "待ち時間", "service": "手続き時間",
        "minutes": "分", "before_after": "{event}：待ち時間と手続き時間（中央値・分）",
        "by_hour": "時間帯別の待ち時間（中央値・分）", "busiest": "来庁の多い日（件）",
        "slowest": "手続き時間の長い手続き（中央値・分）", "visits": "件数",
        "writing": "書かずに済んだ記入欄（1件あたり）", "handwritten": "以前の手書き欄",
        "prefilled": "印字済みの欄", "hour": "{hour}時台",
    },
    "en": {
        "before": "Before (survey)", "after": "Now", "wait": "Wait", "service": "Service",
        "minutes": "min", "before_after": "{event}: wait and service (median, minutes)",
        "by_hour": "Wait by hour of day (median, minutes)", "busiest": "Busiest days (visits)",
        "slowest": "Slowest procedures (median service, minutes)", "visits": "Visits",
        "writing": "Writing avoided (fields per visit)", "handwritten": "Handwritten before",
        "prefilled": "Prefilled now", "hour": "{hour}:00",
    },
}  # fmt: skip


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    series: tuple[str, ...]
    bars: tuple[tuple[str, tuple[float, ...]], ...]  # (label, one value per series)
    unit: str


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def before_after(report: dict[str, Any], event: str, lang: str = "ja") -> Chart:
    t = TEXT[lang]
    entry = report["events"][event]
    before = entry.get("baseline", {})

    def pair(figures: dict[str, Any]) -> tuple[float, float]:
        return (
            _num(figures.get("wait_minutes", {}).get("median")),
            _num(figures.get("service_minutes", {}).get("median")),
        )

    return Chart(
        id=f"before-after-{event}",
        title=t["before_after"].format(event=event_label(event, lang)),
        series=(t["wait"], t["service"]),
        bars=((t["before"], pair(before)), (t["after"], pair(entry))),
        unit=t["minutes"],
    )


def wait_by_hour(report: dict[str, Any], lang: str = "ja") -> Chart:
    t = TEXT[lang]
    bars = tuple(
        (t["hour"].format(hour=hour), (_num(f["wait_minutes"]["median"]),))
        for hour, f in sorted(report["hours"].items(), key=lambda item: int(item[0]))
    )
    return Chart("wait-by-hour", t["by_hour"], (t["wait"],), bars, t["minutes"])


def busiest_days(report: dict[str, Any], lang: str = "ja", top: int = 10) -> Chart:
    t = TEXT[lang]
    days = sorted(report["days"].items(), key=lambda item: -item[1]["visits"])[:top]
    bars = tuple((day, (float(f["visits"]),)) for day, f in days)
    return Chart("busiest-days", t["busiest"], (t["visits"],), bars, "")


def slowest_procedures(report: dict[str, Any], lang: str = "ja") -> Chart:
    t = TEXT[lang]
    rows = [
        (event_label(event, lang), _num(entry.get("service_minutes", {}).get("median")))
        for event, entry in report["events"].items()
        if entry.get("visits")
    ]
    bars = tuple((label, (value,)) for label, value in sorted(rows, key=lambda r: -r[1]))
    return Chart("slowest-procedures", t["slowest"], (t["service"],), bars, t["minutes"])


def writing_avoided(report: dict[str, Any], lang: str = "ja") -> Chart:
    """Fields printed for the resident per visit; beside it, where surveyed, the fields the
    old counter had them write by hand (two bars, not stacked: they are not a sum)."""
    t = TEXT[lang]
    bars: list[tuple[str, tuple[float, ...]]] = []
    for event, entry in report["events"].items():
        label = event_label(event, lang)
        before = entry.get("baseline", {}).get("fields_handwritten_per_visit")
        if before is not None:
            bars.append((f"{label}・{t['handwritten']}", (_num(before), 0.0)))
        if entry.get("visits"):
            bars.append(
                (f"{label}・{t['prefilled']}", (0.0, _num(entry.get("fields_prefilled_per_visit"))))
            )
    return Chart(
        "writing-avoided", t["writing"], (t["handwritten"], t["prefilled"]), tuple(bars), ""
    )


def all_charts(report: dict[str, Any], lang: str = "ja") -> list[Chart]:
    """Before/after for every event with a survey, then the day's shape and the procedures."""
    compared = [e for e, entry in report["events"].items() if "baseline" in entry]
    return [
        *(before_after(report, event, lang) for event in compared),
        wait_by_hour(report, lang),
        busiest_days(report, lang),
        slowest_procedures(report, lang),
        writing_avoided(report, lang),
    ]


def value_label(values: tuple[float, ...]) -> str:
    """ "42.5 + 28.5" for stacked segments; an empty segment is not written."""
    shown = [f"{v:g}" for v in values if v] or ["0"]
    return " + ".join(shown)


def _scale(chart: Chart) -> float:
    biggest = max((sum(values) for _, values in chart.bars), default=0.0)
    return PLOT_WIDTH / biggest if biggest else 0.0


def svg(chart: Chart) -> str:
    """The chart as a standalone SVG element (text escaped; sized for a 1366-wide screen)."""
    scale = _scale(chart)
    top = 52
    height = top + len(chart.bars) * (BAR + GAP) + 10
    width = LABEL_WIDTH + PLOT_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="chart-{escape(chart.id)}" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(chart.title)}">',
        f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(chart.title)}</text>',
        *_legend(chart),
    ]
    for row, (label, values) in enumerate(chart.bars):
        y = top + row * (BAR + GAP)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 6}" font-size="13" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        x = float(LABEL_WIDTH)
        for index, value in enumerate(values):
            w = value * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" '
                f'fill="{COLOURS[index % len(COLOURS)]}"><title>{escape(chart.series[index])}: '
                f"{value:g}{escape(chart.unit)}</title></rect>"
            )
            x += w
        total = value_label(values)
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + BAR - 6}" font-size="13">'
            f"{escape(total)}{escape(chart.unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(chart: Chart) -> list[str]:
    if len(chart.series) < 2:
        return []
    out, x = [], float(LABEL_WIDTH)
    for index, name in enumerate(chart.series):
        colour = COLOURS[index % len(COLOURS)]
        out.append(f'<rect x="{x:.0f}" y="27" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16:.0f}" y="38" font-size="12">{escape(name)}</text>')
        x += 30 + 13 * len(name)
    return out
