"""The canonical visit record (``madoguchi.visit/1``): the data contract of a visit.

The forms are rendered from it, the guidance engine reads it, the back office receives it.
Pydantic only, no I/O. Change it only compatibly: add optional fields, never rename or remove.
Text read from a My Number Card is kept code point for code point: no field here normalises.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

SCHEMA_ID: Final = "madoguchi.visit/1"

Event = Literal[
    "moving-in",
    "moving-out",
    "moving-within",
    "birth",
    "death",
    "marriage",
    "divorce",
    "household-change",
    "certificate",
]
EVENTS: tuple[str, ...] = Event.__args__  # type: ignore[attr-defined]

SexCode = Literal["1", "2", "9"]
SEX_LABELS: dict[str, str] = {"1": "男", "2": "女", "9": "適用不能"}

Insurance = Literal["national_health", "employee", "late_elderly", "welfare", "none"]
Source = Literal["card", "staff", "core", "resident"]
FactValue = bool | int | str | None

NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class RecordModel(BaseModel):
    """Base of every record shape: unknown fields are refused so that a typo is an error."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TenantRef(RecordModel):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] = Field(
        description="全国地方公共団体コード (6 digits, JIS X 0402 with check digit)"
    )
    name: NonEmpty


class Applicant(RecordModel):
    """届出人: the person filing, who signs."""

    name: NonEmpty
    relationship: str | None = Field(default=None, description="続柄 to the members, e.g. 本人")
    phone: str | None = None
    member: int | None = Field(
        default=None, description="index into members when the 届出人 is a household member"
    )
    address: str | None = Field(default=None, description="the 届出人's address")


class Representative(RecordModel):
    """代理人: someone filing on the 届出人's behalf, with a 委任状."""

    name: NonEmpty
    address: str | None = None
    relationship: str | None = Field(default=None, description="relation to the 届出人")
    phone: str | None = None
    power_of_attorney: bool = Field(default=False, description="a 委任状 was presented")


class Unresolved(RecordModel):
    """A guidance question the clerk could not confirm (わからない / 確認できない)."""

    question: NonEmpty = Field(description="question id, e.g. members.1.care_certified")
    reason: str | None = Field(default=None, description="why, for the back office")


class Member(RecordModel):
    """One household member the visit concerns."""

    name: NonEmpty = Field(description="氏名, surname and given name separated by U+3000")
    kana: str | None = Field(default=None, description="ふりがな (katakana)")
    birth_date: dt.date | None = None
    sex: SexCode | None = Field(default=None, description="1 男, 2 女, 9 適用不能")
    relationship: str | None = Field(default=None, description="続柄 to the household head")
    nationality: str | None = Field(default=None, description="ISO 3166-1 alpha-2, JP for Japanese")
    source: Source = Field(default="staff", description="card: as read from a My Number Card")
    address: str | None = Field(default=None, description="address as read from the card")
    resident_code: str | None = Field(default=None, description="住民票コード (11 digits)")
    insurance: Insurance | None = None
    care_certified: bool | None = Field(default=None, description="has 要介護・要支援認定")
    disability_certificate: bool | None = Field(default=None, description="holds a 障害者手帳")
    deceased: bool | None = Field(default=None, description="the person who died (event death)")
    residence_status: str | None = Field(default=None, description="在留資格 (foreign residents)")
    residence_card_number: str | None = None
    residence_period_end: dt.date | None = None
    concerned: bool | None = Field(
        default=None,
        description="the member the event is about: the newborn (birth), a spouse "
        "(marriage, divorce), a mover (moves; None there means every member moves)",
    )
    domicile: str | None = Field(default=None, description="本籍")
    domicile_head: str | None = Field(default=None, description="筆頭者")
    common_name: str | None = Field(default=None, description="通称 (foreign residents)")
    resident_since: dt.date | None = Field(
        default=None, description="住民となった年月日 (foreign residents)"
    )
    field_sources: dict[str, Source] = Field(
        default_factory=dict,
        description="where a field came from when not from the member's source, "
        "e.g. {'kana': 'core'}",
    )

    @field_validator("resident_code")
    @classmethod
    def _resident_code_digits(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 11 and value.isdigit()):
            raise ValueError("住民票コード must be 11 digits")
        return value

    @property
    def sex_label(self) -> str | None:
        return SEX_LABELS.get(self.sex) if self.sex else None

    def age_on(self, day: dt.date) -> int | None:
        """Age in full years on ``day`` (a person born on 29 Feb ages on 1 Mar in common years)."""
        if self.birth_date is None:
            return None
        born = self.birth_date
        had_birthday = (day.month, day.day) >= (born.month, born.day)
        return day.year - born.year - (0 if had_birthday else 1)


class Certificate(RecordModel):
    """A certificate the resident asks for at the same visit."""

    kind: Literal["residence", "residence_removed", "family_register_attachment", "tax", "seal"]
    copies: Annotated[int, Field(ge=1, le=20)] = 1
    scope: Literal["household", "individual"] | None = None
    include: list[str] = Field(
        default_factory=list,
        description="residence: relationship, domicile, resident_code, individual_number, foreign",
    )
    fiscal_year: int | None = Field(default=None, description="tax: the 年度 (Gregorian year)")
    tax_kind: Literal["income", "taxation", "income_taxation"] | None = None
    purpose: str | None = None
    members: list[int] | None = Field(
        default=None, description="indices into members when scope is individual"
    )


class VisitRecord(RecordModel):
    """One visit, as the forms, the guidance engine and the back office see it."""

    schema_: Literal["madoguchi.visit/1"] = Field(default=SCHEMA_ID, alias="schema")
    visit_id: str | None = Field(default=None, description="set once the visit is stored")
    tenant: TenantRef
    event: Event
    event_date: dt.date = Field(description="異動日 / the day of the life event")
    filed_on: dt.date = Field(description="届出日")
    previous_address: str | None = None
    new_address: str | None = None
    household_head: str | None = None
    new_household_head: str | None = Field(default=None, description="新世帯主, when it changes")
    applicant: Applicant | None = None
    representative: Representative | None = None
    members: list[Member] = Field(default_factory=list)
    facts: dict[str, FactValue] = Field(default_factory=dict)
    fact_sources: dict[str, Source] = Field(
        default_factory=dict, description="where a fact came from when not the clerk"
    )
    unresolved: list[Unresolved] = Field(default_factory=list)
    certificates: list[Certificate] = Field(default_factory=list)
    address_on_january_first: str | None = Field(
        default=None, description="1月1日現在の住所 (decides who issues a tax certificate)"
    )
    reception_label: str | None = Field(
        default=None, description="the visit as people see it: ticket number and date"
    )

    def to_json_dict(self) -> dict[str, object]:
        """The record as JSON-ready data with ``schema`` first, as published.

        Collections added after the first release are left out while empty, so a record that
        does not use them serialises (and hashes: signed documents bind that hash) as before.
        """
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        _drop_empty(data, LATER_RECORD_COLLECTIONS)
        for member in data.get("members", []):
            _drop_empty(member, LATER_MEMBER_COLLECTIONS)
        return data


LATER_RECORD_COLLECTIONS: Final = ("fact_sources", "unresolved")
LATER_MEMBER_COLLECTIONS: Final = ("field_sources",)


def _drop_empty(data: dict[str, object], keys: tuple[str, ...]) -> None:
    for key in keys:
        if data.get(key) in ({}, []):
            del data[key]


def visit_json_schema() -> dict[str, object]:
    schema = VisitRecord.model_json_schema(by_alias=True)
    schema["$id"] = "https://madoguchi.invalid/schemas/visit.json"
    schema["title"] = SCHEMA_ID
    return schema
