"""Render the three forms for a 4-person household; compare with bare reportlab in the same run.

Usage: .venv/bin/python bench/form_rendering.py [--runs N]
Baseline: one reportlab canvas per form drawing the same strings (values, labels, static texts)
with the same embedded TrueType fonts, without layout, boxes, footer or QR code.
Targets: median ≤ 150 ms for the three forms, ratio ≤ 1.5.

Then each step a visit costs the render pool, per form (process CPU, median of the runs, each
run a new visit id so that nothing of the previous visit is reused): ``unsigned`` (the form
drawn, forms.stamping.render_unsigned), ``preview`` (見本 laid over it) and ``signed`` (the
signature laid into its box), and the size of the unsigned PDF.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).parents[1]))

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from forms import load_layout, render_form
from forms.data import BINDINGS
from forms.fonts import FALLBACK, has_glyph, registered_font
from forms.stamping import preview_of, render_unsigned, signed_of
from tests.helpers.forms_samples import signature, visit

T = TypeVar("T")
FORMS = ("moving-notice", "residence-certificate-request", "tax-certificate-request")
# A 転居: this town issues its tax certificate (a 転入 after 1 January gets the 郵送請求書).
SAMPLE = visit(4, "moving-within")


def strings_of(name: str) -> list[str]:
    layout = load_layout(name)
    data = BINDINGS[name](SAMPLE, None)
    texts = [t.text for t in layout.texts] + [f.label or "" for f in layout.fields]
    texts += list(data.values.values()) + [v for row in data.rows for v in row.values()]
    return [t for t in texts if t]


def bare(strings: list[str]) -> bytes:
    buffer = io.BytesIO()
    main, fallback = registered_font("gothic"), registered_font(FALLBACK)
    canvas = Canvas(buffer, pagesize=A4, initialFontName=main, pageCompression=1)
    for n, text in enumerate(strings):
        canvas.setFont(main, 10)
        main_part = "".join(c for c in text if has_glyph("gothic", c))
        canvas.drawString(40, 800 - (n % 60) * 12, main_part)
        extra = "".join(c for c in text if not has_glyph("gothic", c))
        if extra:
            canvas.setFont(fallback, 10)
            canvas.drawString(400, 800 - (n % 60) * 12, extra)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def cpu_ms(action: Callable[[], T]) -> tuple[T, float]:
    """What ``action`` returns and the process CPU it took, in milliseconds."""
    start = time.process_time()
    result = action()
    return result, (time.process_time() - start) * 1000


def steps(runs: int) -> None:
    """Milliseconds of process CPU per form for each step of a visit's documents."""
    sig = signature()
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, int] = {}
    for run in range(runs + 1):  # the first run warms the layouts up and is left out
        record = SAMPLE.model_copy(update={"visit_id": f"V-20261124-{run:04d}"})
        for name in FORMS:
            base, unsigned = cpu_ms(partial(render_unsigned, name, record))
            sizes[name] = len(base.content)
            _, preview = cpu_ms(partial(preview_of, base, name))
            _, signed = cpu_ms(partial(signed_of, base, name, sig))
            if run:
                for step, ms in (("unsigned", unsigned), ("preview", preview), ("signed", signed)):
                    times.setdefault((name, step), []).append(ms)
    print("per form, process CPU, median (min) ms:")
    for name in FORMS:
        cells = [
            f"{step} {statistics.median(times[name, step]):5.2f} ({min(times[name, step]):5.2f})"
            for step in ("unsigned", "preview", "signed")
        ]
        print(f"  {name:30s} " + "   ".join(cells) + f"   {sizes[name] / 1024:5.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    record, sig = SAMPLE, signature()
    strings = {name: strings_of(name) for name in FORMS}

    def ours() -> None:
        for name in FORMS:
            render_form(name, record, signature=sig)

    def baseline() -> None:
        for name in FORMS:
            bare(strings[name])

    ours()
    baseline()  # warm-up: fonts and layouts load once per process
    ours_ms, bare_ms = [], []
    for _ in range(runs):  # interleaved so both see the same machine load
        ours_ms.append(timed(ours))
        bare_ms.append(timed(baseline))
    median_ours, median_bare = statistics.median(ours_ms), statistics.median(bare_ms)
    ratio = median_ours / median_bare
    print(f"three forms, 4-person household, {runs} runs")
    print(f"  madoguchi forms : median {median_ours:7.1f} ms  (target <= 150)")
    print(f"  bare reportlab  : median {median_bare:7.1f} ms")
    print(f"  ratio           : {ratio:7.2f}     (target <= 1.5)")
    steps(runs)


if __name__ == "__main__":
    main()
