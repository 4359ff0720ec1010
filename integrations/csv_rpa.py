"""CSV/TSV files for RPA tools: one row per member per procedure, written atomically.

- Encoding per destination: ``cp932`` (what most Windows RPA and Excel set-ups read) or
  ``utf-8-sig`` (UTF-8 with a BOM, so Excel detects it).
- Characters CP932 cannot hold (e.g. 𠮷, IVS sequences, many MJ characters; checked by the one
  mechanism of every output, ``charset.py``) are never turned
  into a silent ``?``: each is replaced by the destination's substitution table entry, else by
  its replacement character (default 〓), and the row's ``substituted`` column says 1 and
  ``substituted_columns`` names the columns changed, so a clerk checks that row by hand.
- Cells that a spreadsheet would run as a formula (starting with = + - @ TAB CR) get a leading
  apostrophe (OWASP "CSV injection").
- Written to a temporary file in the drop folder, flushed to disk, then renamed: an RPA robot
  watching the folder sees whole files only. The file name is derived from the idempotency
  key, so a retried delivery replaces the same file instead of adding a second one.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from contracts.guidance import ProcedureResult
from contracts.handoff import Handoff
from contracts.visit import Member
from integrations import charset
from integrations.base import DeliveryResult

Encoding = Literal["cp932", "utf-8-sig"]
DEFAULT_REPLACEMENT = charset.DEFAULT_REPLACEMENT
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATA_COLUMNS: tuple[str, ...] = (
    "idempotency_key",
    "version",
    "visit_id",
    "tenant_code",
    "event",
    "event_date",
    "filed_on",
    "procedure_id",
    "procedure_name",
    "department",
    "member_index",
    "member_name",
    "member_kana",
    "member_birth_date",
    "member_sex",
    "member_relationship",
    "member_source",
    "member_resident_code",
    "previous_address",
    "new_address",
    "household_head",
    "applicant_name",
    "applicant_phone",
    "document_urls",
)
FLAG_COLUMNS: tuple[str, ...] = ("substituted", "substituted_columns")
# Added later, after the flags, so that robots reading columns by position keep working.
# reception_label is the visit as its papers name it (ticket number and day, A-001 2026-12-02).
LATER_COLUMNS: tuple[str, ...] = ("reception_label",)
COLUMNS: tuple[str, ...] = DATA_COLUMNS + FLAG_COLUMNS + LATER_COLUMNS
TEXT_COLUMNS: tuple[str, ...] = DATA_COLUMNS + LATER_COLUMNS


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _member_cells(index: int | None, member: Member | None) -> dict[str, str]:
    if member is None:
        return dict.fromkeys([c for c in DATA_COLUMNS if c.startswith("member_")], "") | {
            "member_index": ""
        }
    return {
        "member_index": _text(index),
        "member_name": member.name,
        "member_kana": _text(member.kana),
        "member_birth_date": _text(member.birth_date),
        "member_sex": _text(member.sex),
        "member_relationship": _text(member.relationship),
        "member_source": member.source,
        "member_resident_code": _text(member.resident_code),
    }


def handoff_rows(handoff: Handoff) -> list[dict[str, str]]:
    """The source data: one row per (procedure, member concerned), as plain strings.

    A procedure that names no member concerns every member; a case without procedures still
    gives one row per member (and a case without members one row per procedure), so that no
    case is ever missing from the file.
    """
    record = handoff.record
    common = {
        "idempotency_key": handoff.idempotency_key,
        "version": str(handoff.version),
        "visit_id": handoff.visit_id,
        "tenant_code": record.tenant.code,
        "event": record.event,
        "event_date": record.event_date.isoformat(),
        "filed_on": record.filed_on.isoformat(),
        "previous_address": _text(record.previous_address),
        "new_address": _text(record.new_address),
        "household_head": _text(record.household_head),
        "applicant_name": record.applicant.name if record.applicant else "",
        "applicant_phone": _text(record.applicant.phone) if record.applicant else "",
        "document_urls": " ".join(doc.url for doc in handoff.documents),
        "reception_label": _text(record.reception_label),
    }
    members: list[tuple[int | None, Member | None]] = list(enumerate(record.members)) or [
        (None, None)
    ]
    rows: list[dict[str, str]] = []
    procedures: list[ProcedureResult | None] = list(handoff.procedures) or [None]
    for procedure in procedures:
        concerned = members
        if procedure is not None and procedure.members:
            wanted = set(procedure.members)
            concerned = [(i, m) for i, m in members if i in wanted] or members
        for index, member in concerned:
            row = dict(common)
            row["procedure_id"] = procedure.id if procedure else ""
            row["procedure_name"] = procedure.name if procedure else ""
            row["department"] = procedure.department if procedure else ""
            row.update(_member_cells(index, member))
            rows.append({column: row[column] for column in TEXT_COLUMNS})
    return rows


def substitute_for_cp932(
    text: str, substitutions: Mapping[str, str], replacement: str = DEFAULT_REPLACEMENT
) -> tuple[str, bool]:
    """Replace what CP932 cannot encode; return the text and whether anything was replaced.

    The one mechanism of every output (``integrations/charset.py``): a base character and its
    variation selector go together when the table names the pair.
    """
    converted, outside = charset.convert(text, "cp932", substitutions, replacement)
    return converted, bool(outside)


def guard_formula(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def prepare_rows(
    rows: Iterable[dict[str, str]],
    encoding: Encoding,
    substitutions: Mapping[str, str],
    replacement: str,
) -> list[dict[str, str]]:
    prepared = []
    for row in rows:
        out: dict[str, str] = {}
        changed_columns = []
        for column in TEXT_COLUMNS:
            cell = row.get(column, "")
            if encoding == "cp932":
                cell, changed = substitute_for_cp932(cell, substitutions, replacement)
                if changed:
                    changed_columns.append(column)
            out[column] = guard_formula(cell)
        out["substituted"] = "1" if changed_columns else "0"
        out["substituted_columns"] = ";".join(changed_columns)
        prepared.append(out)
    return prepared


def render(
    rows: Iterable[dict[str, str]],
    *,
    encoding: Encoding = "cp932",
    delimiter: str = ",",
    substitutions: Mapping[str, str] | None = None,
    replacement: str = DEFAULT_REPLACEMENT,
) -> bytes:
    """The file's bytes. Encoding uses errors="strict": substitution happened before."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(prepare_rows(rows, encoding, substitutions or {}, replacement))
    return buffer.getvalue().encode(encoding, errors="strict")


def atomic_write(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def file_name(handoff: Handoff, delimiter: str) -> str:
    stem = re.sub(r"[^0-9A-Za-z._-]", "_", handoff.idempotency_key)
    return f"{handoff.record.filed_on:%Y%m%d}_{stem}.{'tsv' if delimiter == chr(9) else 'csv'}"


@dataclass(frozen=True)
class CsvAdapter:
    folder: Path
    encoding: Encoding = "cp932"
    delimiter: str = ","
    substitutions: Mapping[str, str] = field(default_factory=dict)
    replacement: str = DEFAULT_REPLACEMENT

    def deliver(self, handoff: Handoff) -> DeliveryResult:
        content = render(
            handoff_rows(handoff),
            encoding=self.encoding,
            delimiter=self.delimiter,
            substitutions=self.substitutions,
            replacement=self.replacement,
        )
        try:
            path = atomic_write(self.folder, file_name(handoff, self.delimiter), content)
        except OSError as exc:
            return DeliveryResult(False, f"cannot write to {self.folder}: {exc.strerror or exc}")
        return DeliveryResult(True, f"wrote {path.name} ({len(content)} bytes)")
