"""``madoguchi guide`` and ``madoguchi catalog validate``.

Exit codes: 0 ok; 1 invalid catalog (one ``file:line: field: message`` line per problem on
stderr); 2 unreadable visit record, invalid answer, or a file that cannot be read as a document
(a folder, binary, not UTF-8, over the size, depth or alias limits): one line on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from backend.guidance.answers import parse_answer_pairs
from backend.guidance.catalog import CompiledCatalog, load_catalog, load_default_catalog
from backend.guidance.engine import evaluate
from backend.guidance.errors import CatalogInvalid, InvalidAnswer
from backend.platform import safe_parse
from backend.platform.safe_parse import DocumentTooComplex
from contracts import GuidanceResult, VisitRecord


def _read_visit(path: Path) -> VisitRecord:
    try:
        text = safe_parse.read_text(path)
        safe_parse.check_json_text(text)
        return VisitRecord.model_validate_json(text)
    except FileNotFoundError:
        typer.echo(f"{path}: ファイルがありません (file not found)", err=True)
    except DocumentTooComplex as exc:
        typer.echo(f"{path}: {exc.message}", err=True)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(root)"
            typer.echo(f"{path}: {where}: {error['msg']}", err=True)
    raise typer.Exit(2)


def _read_catalog(path: Path | None) -> CompiledCatalog:
    try:
        return load_catalog(path) if path is not None else load_default_catalog()
    except CatalogInvalid as exc:
        for line in exc.lines():
            typer.echo(line, err=True)
        raise typer.Exit(1) from exc
    except DocumentTooComplex as exc:
        typer.echo(f"{path}: {exc.message}", err=True)
        raise typer.Exit(2) from exc


def _print_text(result: GuidanceResult) -> None:
    for number, procedure in enumerate(result.procedures, start=1):
        counter = procedure.counter
        where = f"{counter.floor or ''} {counter.number or ''}番 {counter.name}".strip()
        flag = " [要確認]" if procedure.uncertain else ""
        typer.echo(f"{number}. {procedure.name}（{where}）{flag}")
        for reason in procedure.reasons:
            typer.echo(f"   理由: {reason}")
        if procedure.items:
            typer.echo(f"   持ち物: {'、'.join(procedure.items)}")
        extras = [f"約{procedure.minutes}分"]
        if procedure.fee_yen:
            extras.append(f"手数料 {procedure.fee_yen:,}円")
        if procedure.deadline:
            extras.append(f"期限 {procedure.deadline.isoformat()}")
        typer.echo(f"   {' / '.join(extras)}")
    if result.questions:
        typer.echo("確認が必要な質問:")
        for question in result.questions:
            typer.echo(f"  - {question.text['ja']}  (--answer {question.id}=… / わからない)")
    totals = result.totals
    typer.echo(
        f"合計: {totals.procedures}件 / 窓口 {totals.counters}か所 / 約{totals.minutes}分 / "
        f"手数料 {totals.fee_yen:,}円"
    )


def register(app: typer.Typer) -> None:
    @app.command("guide")
    def guide(
        visit: Annotated[Path, typer.Option("--visit", help="visit record (JSON)")],
        catalog: Annotated[
            Path | None, typer.Option("--catalog", help="catalog YAML (default: the sample)")
        ] = None,
        answer: Annotated[
            list[str] | None,
            typer.Option("--answer", help="KEY=VALUE, e.g. has_dog=true, members.1.insurance=…"),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Every procedure the visit needs, in route order, with the open questions."""
        compiled = _read_catalog(catalog)
        record = _read_visit(visit)
        try:
            result = evaluate(record, compiled, parse_answer_pairs(answer or []))
        except InvalidAnswer as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(2) from exc
        if as_json:
            typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        else:
            _print_text(result)

    catalog_app = typer.Typer(help="Procedure catalogs (YAML).", no_args_is_help=True)
    app.add_typer(catalog_app, name="catalog")

    @catalog_app.command("validate")
    def catalog_validate(file: Path) -> None:
        """Check FILE; exit 1 with one line per problem: file:line: field: message."""
        compiled = _read_catalog(file)
        spec = compiled.spec
        typer.echo(
            f"{file}: OK ({len(spec.procedures)} procedures, {len(spec.departments)} departments, "
            f"{len(spec.questions)} questions)"
        )
