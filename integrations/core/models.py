"""What the core 住民記録 system answers: a resident to prefill, and 転出証明書情報."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ResidentCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{11}$")]  # ASCII digits only


class CoreModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResidentQuery(CoreModel):
    """By 住民票コード, or by name + birth date + address (all three)."""

    resident_code: ResidentCode | None = None
    name: str | None = None
    birth_date: dt.date | None = None
    address: str | None = None
    match_address: bool = Field(
        default=True,
        description="false: match by name and birth date only (the counter compares the "
        "address itself, to show a card whose address differs from the record)",
    )

    @model_validator(mode="after")
    def _one_way_to_search(self) -> ResidentQuery:
        by_attributes = self.name and self.birth_date and self.address
        if not self.resident_code and not by_attributes:
            raise ValueError("住民票コード、または氏名・生年月日・住所のすべてを指定してください")
        return self


class HouseholdEntry(CoreModel):
    """One person of the household (世帯)."""

    name: str
    kana: str | None = None
    birth_date: dt.date | None = None
    sex: Literal["1", "2", "9"] | None = None
    relationship: str = Field(description="続柄 to the household head")
    resident_code: ResidentCode | None = None


class CoreResident(CoreModel):
    resident_code: ResidentCode
    name: str
    kana: str | None = None
    birth_date: dt.date
    sex: Literal["1", "2", "9"] | None = None
    address: str
    household_id: str = Field(description="世帯番号")
    household_head: str = Field(description="世帯主")
    relationship: str = Field(description="続柄 to the household head")
    domicile: str | None = Field(default=None, description="本籍 (Japanese nationals)")
    domicile_head: str | None = Field(default=None, description="筆頭者")
    nationality: str = "JP"
    household: list[HouseholdEntry] = Field(default_factory=list)


class CoreBenefits(CoreModel):
    """What the municipality's own records already say about one resident, so that guidance
    need not ask it; None where the core system does not know."""

    resident_code: ResidentCode
    national_health: bool | None = Field(default=None, description="国民健康保険の被保険者")
    care_certified: bool | None = Field(default=None, description="要介護・要支援認定あり")
    disability_certificate: bool | None = Field(default=None, description="障害者手帳あり")
    child_allowance_recipient: bool | None = Field(default=None, description="児童手当の受給者")


class MovingOutCertificate(CoreModel):
    """転出証明書情報: what the former municipality sends for a 特例転入 (引越しワンストップ)."""

    resident_code: ResidentCode
    name: str
    kana: str | None = None
    birth_date: dt.date
    sex: Literal["1", "2", "9"] | None = None
    from_municipality_code: str = Field(description="転出元の団体コード")
    from_municipality: str
    previous_address: str = Field(description="転出元住所")
    planned_address: str = Field(description="転出先住所 (予定)")
    planned_date: dt.date = Field(description="転出予定年月日")
    household_head: str
    relationship: str
    domicile: str | None = None
    domicile_head: str | None = None
    members: list[HouseholdEntry] = Field(default_factory=list, description="ともに転出する者")
    issued_on: dt.date
