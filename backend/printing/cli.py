"""Commands: ``forms render``, ``print ticket|slip|summary``, ``printer emulate``.

Exit codes (a contract): 0 printed · 20 printer unreachable · 21 paper out · 22 cover open ·
23 any other printer error. Input problems (missing or invalid visit file, unknown form) exit 1;
a file that cannot be read as a document (a folder, binary, not UTF-8, over the size or depth
limits) or an output path that cannot be written exits 2. Each failure is one line on stderr.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError

from backend.guidance.catalog import load_default_catalog
from backend.guidance.engine import evaluate
from backend.platform.safe_parse import DocumentTooComplex
from backend.platform.settings import get_settings
from backend.printing.service import build_job, load_guidance, load_signature, load_visit
from contracts import GuidanceResult, VisitRecord
from forms import FormsError, form_names, load_layout, render_form
from forms.data import tax_certificates_issued_here
from forms.pdf import document_hash
from forms.receipt import Part, checklist_slip, form_summary, queue_ticket
from forms.stamping import preview_of
from hardware.printer import PrinterError, print_job
from hardware.printer.emulator import STATES, start_emulator

INPUT_ERROR = 1
UNREADABLE_FILE = 2
PAPER_WIDTHS_HELP = "用紙幅 (dots): 384 = 58mm, 512 = 80mm (TM-T88), 576 = 80mm (TM-T20)"
SUMMARY_FORMS = ("moving-notice", "residence-certificate-request", "tax-certificate-request")

PrinterOpt = Annotated[str, typer.Option("--printer", help="tcp://host:9100, usb://VID:PID, …")]
PaperOpt = Annotated[int, typer.Option("--paper", help=PAPER_WIDTHS_HELP)]
KanjiOpt = Annotated[bool, typer.Option("--kanji", help="ROM の漢字モード (FS C 1) を使う")]
T = TypeVar("T")
GuidanceOpt = Annotated[Path | None, typer.Option("--guidance", help="GuidanceResult JSON")]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _readable(path: Path, load: Callable[[Path], T]) -> T:
    """``load(path)``, or exit 2 with one line when the file cannot be read as a document."""
    try:
        return load(path)
    except DocumentTooComplex as exc:
        raise _fail(f"{path}: {exc.message}", UNREADABLE_FILE) from exc


def _write(out: Path, content: bytes) -> None:
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise _fail(f"{out}: 書き込めません: {exc.strerror or exc}", UNREADABLE_FILE) from exc


def _inputs(
    visit: Path, guidance: Path | None, *, evaluate_guidance: bool = False
) -> tuple[VisitRecord, GuidanceResult | None]:
    """The visit, and its guidance: from --guidance, else from the sample catalog when asked."""
    try:
        record = _readable(visit, load_visit)
        result = _readable(guidance, load_guidance) if guidance else None
        if result is None and evaluate_guidance:
            result = evaluate(record, load_default_catalog())
        return record, result
    except FileNotFoundError as exc:
        raise _fail(f"ファイルがありません: {exc.filename}", INPUT_ERROR) from exc
    except ValidationError as exc:
        raise _fail(f"来庁記録または案内結果の形式が正しくありません:\n{exc}", INPUT_ERROR) from exc


def _print(printer: str, parts: list[Part], paper: int, kanji: bool) -> None:
    try:
        result = print_job(printer, build_job(parts, paper, kanji))
    except PrinterError as exc:
        raise _fail(f"印刷できませんでした: {exc} [{exc.code}]", exc.exit_code) from exc
    except ValueError as exc:
        raise _fail(f"印刷できませんでした: {exc}", 23) from exc
    for warning in result.warnings:
        typer.echo(f"注意: {warning}", err=True)
    typer.echo(f"印刷しました ({result.bytes_sent} bytes)")


def register(app: typer.Typer) -> None:
    forms_app = typer.Typer(help="届出書・申請書の PDF (prefilled forms).", no_args_is_help=True)
    print_app = typer.Typer(help="レシートプリンターへの印刷.", no_args_is_help=True)
    printer_app = typer.Typer(help="プリンター (emulator).", no_args_is_help=True)
    app.add_typer(forms_app, name="forms")
    app.add_typer(print_app, name="print")
    app.add_typer(printer_app, name="printer")

    @forms_app.command("render")
    def forms_render(
        form: Annotated[str, typer.Option("--form", help="様式名 (moving-notice, …)")],
        visit: Annotated[Path, typer.Option("--visit", help="来庁記録 JSON")],
        out: Annotated[Path, typer.Option("--out", help="出力 PDF")],
        signature: Annotated[Path | None, typer.Option("--signature")] = None,
        guidance: GuidanceOpt = None,
    ) -> None:
        """Render form NAME for the visit to a PDF."""
        # Without --guidance the sample catalog decides the procedures (checklist, office boxes).
        record, guidance_result = _inputs(visit, guidance, evaluate_guidance=True)
        try:
            loaded_signature = _readable(signature, load_signature) if signature else None
            rendered = render_form(form, record, guidance_result, loaded_signature)
            if loaded_signature is None:  # an unsigned rendering is a preview: 見本 across it
                rendered = preview_of(rendered, form)
        except FormsError as exc:
            raise _fail(f"{exc.message} [{exc.code}]", INPUT_ERROR) from exc
        except (FileNotFoundError, ValidationError, ValueError) as exc:
            raise _fail(f"署名ファイルを読めません: {exc}", INPUT_ERROR) from exc
        _write(out, rendered.content)
        typer.echo(f"{out} ({rendered.content_type}, {len(rendered.content)} bytes)")

    @forms_app.command("list")
    def forms_list() -> None:
        """List the available form names."""
        for name in form_names():
            typer.echo(f"{name}\t{load_layout(name).title}")

    @print_app.command("ticket")
    def print_ticket(
        printer: PrinterOpt,
        number: Annotated[str, typer.Option("--number")],
        queue: Annotated[str, typer.Option("--queue")],
        url: Annotated[str, typer.Option("--url", help="番号を追う URL (QR)")],
        ahead: Annotated[int | None, typer.Option("--ahead")] = None,
        wait_minutes: Annotated[int | None, typer.Option("--wait-minutes")] = None,
        paper: PaperOpt = 576,
        kanji: KanjiOpt = False,
    ) -> None:
        """Print a queue ticket."""
        issued_at = dt.datetime.now(ZoneInfo(get_settings().timezone))  # the office's clock
        parts = queue_ticket(number, queue, url, issued_at, ahead, wait_minutes)
        _print(printer, parts, paper, kanji)

    @print_app.command("slip")
    def print_slip(
        printer: PrinterOpt,
        visit: Annotated[Path, typer.Option("--visit")],
        guidance: GuidanceOpt = None,
        paper: PaperOpt = 576,
        kanji: KanjiOpt = False,
    ) -> None:
        """Print the procedure checklist slip of a visit."""
        record, guidance_result = _inputs(visit, guidance, evaluate_guidance=True)
        _print(printer, checklist_slip(record, guidance_result), paper, kanji)

    @print_app.command("summary")
    def print_summary(
        printer: PrinterOpt,
        visit: Annotated[Path, typer.Option("--visit")],
        guidance: GuidanceOpt = None,
        paper: PaperOpt = 576,
        kanji: KanjiOpt = False,
    ) -> None:
        """Print a summary of the forms prepared for a visit (titles and hashes)."""
        record, guidance_result = _inputs(visit, guidance)
        documents = []
        postal = not tax_certificates_issued_here(record)
        for name in SUMMARY_FORMS:
            if postal and name == "tax-certificate-request":
                name = "tax-certificate-postal-request"  # moved in after 1 January
            layout = load_layout(name)
            documents.append(
                (layout.title, document_hash(name, layout.version, record, guidance_result))
            )
        _print(printer, form_summary(record, documents), paper, kanji)

    @printer_app.command("emulate")
    def printer_emulate(
        port: Annotated[int, typer.Option("--port")] = 9100,
        state: Annotated[str, typer.Option("--state", help=" / ".join(STATES))] = "ok",
        out: Annotated[Path, typer.Option("--out")] = Path("var/printer"),
        host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
        paper: PaperOpt = 576,
    ) -> None:
        """Run an ESC/POS printer emulator in the foreground (Ctrl-C to stop)."""
        if state not in STATES:
            raise _fail(f"状態は {' / '.join(STATES)} のいずれかです", INPUT_ERROR)
        emulator = start_emulator(port=port, state=state, out_dir=out, host=host, paper_dots=paper)
        typer.echo(f"プリンターエミュレーター tcp://{host}:{emulator.port} 状態={state} 出力={out}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            emulator.stop()
