"""Import a municipality's 町字 list from CSV.

Two shapes are read, told apart by the header:
- the Digital Agency's address base registry 町字マスター (アドレス・ベース・レジストリ), with
  its English column names (``lg_code, machiaza_id, pref, city, oaza_cho, chome, koaza…``) or
  the older Japanese ones (``全国地方公共団体コード, 町字id, 都道府県名, …``); rows of other
  municipalities and abolished 町字 are refused with a reason;
- a simple CSV with ``id,name,kana``.
An import replaces the tenant's whole list; nothing is half imported.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.addresses.models import AreaListRow
from backend.addresses.normalize import prefecture_for_code
from backend.addresses.service import Area, AreaList, forget_cached
from backend.platform.audit.service import record
from backend.platform.errors import ValidationFailed

MAX_CSV_BYTES: Final = 20_000_000
MAX_REFUSALS_LISTED: Final = 50

# Column of each role in the 町字マスター: English name, older Japanese name.
ABR_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "lg_code": ("lg_code", "全国地方公共団体コード"),
    "id": ("machiaza_id", "町字id", "町字ID"),
    "pref": ("pref", "都道府県名"),
    "county": ("county", "郡名"),
    "city": ("city", "市区町村名"),
    "ward": ("ward", "政令市区名"),
    "oaza": ("oaza_cho", "大字・町名"),
    "oaza_kana": ("oaza_cho_kana", "大字・町名_カナ"),
    "chome": ("chome", "丁目名"),
    "chome_kana": ("chome_kana", "丁目名_カナ"),
    "koaza": ("koaza", "小字名"),
    "koaza_kana": ("koaza_kana", "小字名_カナ"),
    "abolished": ("ablt_date", "廃止日"),
}


class AreaCsvInvalid(ValidationFailed):
    code = "area_csv_invalid"
    default_message = "町字の CSV を読めません。"


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str


@dataclass
class AreaImport:
    areas: AreaList
    source: str
    refused: list[Refusal] = field(default_factory=list)

    @property
    def added(self) -> int:
        return len(self.areas.areas)


def decode(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise AreaCsvInvalid("CSV が大きすぎます (over 20 MB).")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AreaCsvInvalid("CSV の文字コードが UTF-8 でも Shift_JIS でもありません。")


def parse_csv(text: str, tenant_code: str, tenant_name: str) -> AreaImport:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise AreaCsvInvalid("CSV が空です (empty).")
    header = [cell.strip().lstrip("\ufeff") for cell in rows[0]]
    if {"id", "name", "kana"} <= set(header):
        return _parse_simple(header, rows[1:], tenant_code, tenant_name)
    columns = _abr_columns(header)
    if columns is None:
        raise AreaCsvInvalid(
            "見出し行が 町字マスター（lg_code, machiaza_id, oaza_cho…）でも "
            "id,name,kana でもありません (unknown header)."
        )
    return _parse_abr(columns, rows[1:], tenant_code, tenant_name)


def _abr_columns(header: list[str]) -> dict[str, int] | None:
    columns = {}
    for role, names in ABR_COLUMNS.items():
        index = next((header.index(n) for n in names if n in header), None)
        if index is not None:
            columns[role] = index
    return columns if {"lg_code", "id", "oaza"} <= set(columns) else None


def _cell(row: list[str], columns: dict[str, int], role: str) -> str:
    index = columns.get(role)
    return row[index].strip() if index is not None and index < len(row) else ""


def _parse_abr(
    columns: dict[str, int], rows: list[list[str]], tenant_code: str, tenant_name: str
) -> AreaImport:
    areas: list[Area] = []
    refused: list[Refusal] = []
    seen: set[str] = set()
    prefecture = city = ""
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        get = functools.partial(_cell, row, columns)
        if get("lg_code") != tenant_code:
            refused.append(Refusal(line, f"別の団体コード {get('lg_code') or '（空）'} の行"))
            continue
        if get("abolished"):
            refused.append(Refusal(line, f"廃止された町字（{get('abolished')}）"))
            continue
        name = get("oaza") + get("chome") + get("koaza")
        problem = _problem(get("id"), name, seen)
        if problem:
            refused.append(Refusal(line, problem))
            continue
        seen.add(get("id"))
        kana = get("oaza_kana") + get("chome_kana") + get("koaza_kana")
        areas.append(Area(id=get("id"), name=name, kana=kana))
        prefecture = prefecture or get("pref")
        city = city or (get("county") + get("city") + get("ward"))
    area_list = AreaList(
        prefecture=prefecture or prefecture_for_code(tenant_code) or "",
        city=city or tenant_name,
        areas=areas,
    )
    return AreaImport(area_list, "abr", refused)


def _parse_simple(
    header: list[str], rows: list[list[str]], tenant_code: str, tenant_name: str
) -> AreaImport:
    index = {name: header.index(name) for name in ("id", "name", "kana")}
    areas: list[Area] = []
    refused: list[Refusal] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {k: (row[i].strip() if i < len(row) else "") for k, i in index.items()}
        problem = _problem(cells["id"], cells["name"], seen)
        if problem:
            refused.append(Refusal(line, problem))
            continue
        seen.add(cells["id"])
        areas.append(Area(id=cells["id"], name=cells["name"], kana=cells["kana"]))
    area_list = AreaList(
        prefecture=prefecture_for_code(tenant_code) or "", city=tenant_name, areas=areas
    )
    return AreaImport(area_list, "simple", refused)


def _problem(area_id: str, name: str, seen: set[str]) -> str | None:
    if not area_id:
        return "町字IDが空"
    if len(area_id) > 20 or not area_id.isascii() or not area_id.isalnum():
        return f"町字ID {area_id[:20]!r} が英数字ではない"
    if area_id in seen:
        return f"町字ID {area_id} が重複"
    if not name:
        return "町字名が空"
    if len(name) > 60:
        return "町字名が長すぎる"
    return None


def store(session: Session, tenant_id: str, imported: AreaImport, actor: str) -> AreaListRow:
    """Replace the tenant's list with the imported one (refused when nothing was readable)."""
    if not imported.areas.areas:
        reasons = "、".join(sorted({r.reason for r in imported.refused})[:3])
        raise AreaCsvInvalid(f"取り込める町字がありませんでした（{reasons or '行がありません'}）。")
    areas = [area.model_dump() for area in imported.areas.areas]
    digest = hashlib.sha256(json.dumps(areas, ensure_ascii=False).encode("utf-8")).hexdigest()
    row = session.scalars(select(AreaListRow)).one_or_none()
    if row is None:
        row = AreaListRow(tenant_id=tenant_id)
        session.add(row)
    row.prefecture = imported.areas.prefecture[:10]
    row.city = imported.areas.city[:60]
    row.areas = areas
    row.digest = digest
    row.source = imported.source
    row.imported_by = actor
    session.flush()
    forget_cached()
    record(
        session,
        tenant_id=tenant_id,
        action="addresses.import",
        actor=actor,
        detail={"source": imported.source, "added": imported.added,
                "refused": len(imported.refused), "digest": digest},
    )  # fmt: skip
    return row
