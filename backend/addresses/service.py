"""町字 lists are data (one YAML file per 団体コード), validated when loaded."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from backend.platform import safe_parse

DATA_DIR = Path(__file__).resolve().parent / "data"


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="町字ID")
    name: str
    kana: str


class AreaList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefecture: str
    city: str
    areas: list[Area]

    def full_name(self, area: Area) -> str:
        return f"{self.prefecture}{self.city}{area.name}"


@lru_cache(maxsize=64)
def load(tenant_code: str) -> AreaList | None:
    path = DATA_DIR / f"{tenant_code}.yaml"
    if not path.is_file():
        return None
    return AreaList.model_validate(safe_parse.load_yaml(safe_parse.read_text(path)))


def search(
    tenant_code: str, query: str = "", limit: int = 50
) -> tuple[AreaList | None, list[Area]]:
    areas = load(tenant_code)
    if areas is None:
        return None, []
    q = query.strip()
    found = [a for a in areas.areas if not q or q in a.name or q in a.kana]
    return areas, found[:limit]
