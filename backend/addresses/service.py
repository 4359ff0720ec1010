"""町字 lists are data (one YAML file per 団体コード), validated when loaded.

Also where an address is: in this municipality or another (``locate``), compared however it
was typed (``backend.addresses.normalize``); the address text itself is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.addresses.models import AreaListRow
from backend.addresses.normalize import (
    Municipality,
    address_key,
    fold,
    parse_municipality,
    prefecture_for_code,
    reading_key,
    split_municipality,
)
from backend.platform import safe_parse

DATA_DIR = Path(__file__).resolve().parent / "data"


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="町字ID")
    name: str
    kana: str


@dataclass(frozen=True)
class AreaKeys:
    """An area's comparison keys, built once per loaded list."""

    area: Area
    name: str  # address_key of the name: 本町一丁目 → 本町1
    reading: str  # reading_key of the kana


class AreaList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefecture: str
    city: str
    areas: list[Area]

    _keys: list[AreaKeys] | None = PrivateAttr(default=None)

    def full_name(self, area: Area) -> str:
        return f"{self.prefecture}{self.city}{area.name}"

    def search_keys(self) -> list[AreaKeys]:
        if self._keys is None:
            self._keys = [AreaKeys(a, address_key(a.name), reading_key(a.kana)) for a in self.areas]
        return self._keys


@lru_cache(maxsize=64)
def load(tenant_code: str) -> AreaList | None:
    """The list shipped as a file (the demo's), None when there is none."""
    path = DATA_DIR / f"{tenant_code}.yaml"
    if not path.is_file():
        return None
    return AreaList.model_validate(safe_parse.load_yaml(safe_parse.read_text(path)))


# Imported lists by digest: a list is validated and its search keys built once per content.
_imported: dict[str, AreaList] = {}


def forget_cached() -> None:
    _imported.clear()


def areas_for(session: Session, tenant_code: str) -> AreaList | None:
    """The tenant's 町字: the imported list (session scoped to the tenant), else the file."""
    row = session.execute(select(AreaListRow.digest, AreaListRow.id).limit(1)).first()
    if row is None:
        return load(tenant_code)
    digest, row_id = row
    cached = _imported.get(digest)
    if cached is None:
        stored = session.get(AreaListRow, row_id)
        assert stored is not None
        cached = AreaList(prefecture=stored.prefecture, city=stored.city, areas=stored.areas)
        if len(_imported) > 256:
            _imported.clear()
        _imported[digest] = cached
    return cached


def search(
    tenant_code: str, query: str = "", limit: int = 50, areas: AreaList | None = None
) -> tuple[AreaList | None, list[Area]]:
    areas = areas if areas is not None else load(tenant_code)
    if areas is None:
        return None, []
    return areas, search_list(areas, query, limit)


def search_list(areas: AreaList, query: str, limit: int = 50) -> list[Area]:
    """The areas ``query`` finds, in the list's order; every area for an empty query.
    本町, 本町1, 本町一丁目, ほんまち, 本町1-2-3 all find 本町一丁目."""
    if not query.strip():
        return areas.areas[:limit]
    place, rest = split_municipality(query)
    if place is not None and place.same_as(municipality_of_list(areas)):
        query = rest  # 窓口デモ市本町… typed in full: search for 本町…
    name, reading = address_key(query), reading_key(query)
    # 本町1-2-3 (a whole address typed) finds the area whose key is a part before a hyphen.
    whole_address_areas = {name[:i] for i, char in enumerate(name) if char == "-"}
    found = [
        k.area
        for k in areas.search_keys()
        if (name and name in k.name) or (reading and reading in k.reading)
        or k.name in whole_address_areas
    ]  # fmt: skip
    return found[:limit]


# --- where an address is ------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """``here``: True in this municipality, False in another, None when the text cannot tell."""

    here: bool | None
    municipality: Municipality | None


def municipality_of_list(areas: AreaList) -> Municipality:
    return parse_municipality(f"{areas.prefecture}{areas.city}")


def home_municipality(
    tenant_code: str, tenant_name: str, areas: AreaList | None = None
) -> Municipality:
    """The tenant as addresses name it: from its 町字 list, else its code's 都道府県 + its name."""
    areas = areas if areas is not None else load(tenant_code)
    if areas is not None:
        return municipality_of_list(areas)
    return parse_municipality(f"{prefecture_for_code(tenant_code) or ''}{tenant_name}")


def _starts_with_an_area(areas: AreaList | None, address: str) -> bool:
    """本町1-2-3 typed without the city: one of this municipality's 町字 begins it."""
    key = address_key(address)
    return areas is not None and any(k.name and key.startswith(k.name) for k in areas.search_keys())


def locate(
    tenant_code: str, tenant_name: str, address: str, areas: AreaList | None = None
) -> Location:
    """Whether ``address`` is in the tenant's municipality, and which municipality it names.

    ``areas``: the tenant's 町字 list when the caller has it (imported); else the file's.
    """
    areas = areas if areas is not None else load(tenant_code)
    home = home_municipality(tenant_code, tenant_name, areas)
    if any(fold(address).startswith(prefix) for prefix in home.prefixes()):
        return Location(here=True, municipality=home)
    place, _rest = split_municipality(address)
    if place is not None:
        return Location(here=place.same_as(home), municipality=place)
    if _starts_with_an_area(areas, address):
        return Location(here=True, municipality=home)
    return Location(here=None, municipality=None)
