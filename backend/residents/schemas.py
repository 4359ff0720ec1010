"""Request and response shapes of pre-entry and reservations (public and staff)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.visit import Certificate, Event, FactValue, SexCode

Lang = Literal["ja", "en", "zh", "ko", "vi", "pt"]
ShortText = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{6,20}$")]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


# --- public: what the page needs ----------------------------------------------------------


class Choice(Schema):
    value: str
    label: str
    label_ja: str


class PublicSetup(Schema):
    tenant_code: str
    tenant_name: str
    preentry: bool
    reservations: bool
    retention_days: int
    events: list[Choice]
    certificates: list[Choice]


class AreaChoice(Schema):
    id: str
    name: str
    kana: str
    full_name: str


class ResidentMember(Schema):
    """A household member without a card (or not coming): what the clerk would type."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]
    kana: ShortText | None = None
    birth_date: dt.date | None = None
    sex: SexCode | None = None
    relationship: ShortText | None = None
    nationality: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class ResidentAnswers(Schema):
    lang: Lang = "ja"
    event: Event
    members: list[ResidentMember] = Field(default_factory=list, max_length=10)
    answers: dict[Annotated[str, StringConstraints(max_length=64)], FactValue] = Field(
        default_factory=dict, max_length=80
    )


class PreEntryCreate(ResidentAnswers):
    event_date: dt.date | None = None
    phone: Phone | None = None
    new_area_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    new_block: ShortText | None = Field(default=None, description="番地・号・建物")
    certificates: list[Certificate] = Field(default_factory=list, max_length=10)


class QuestionView(Schema):
    id: str
    text: str
    text_ja: str
    type: str
    choices: list[Choice]
    member: int | None


class ProcedureView(Schema):
    id: str
    name: str
    name_ja: str
    counter: str
    counter_ja: str
    counter_number: str | None
    floor: str | None
    items: list[Choice]
    reasons: list[str]
    fee_yen: int
    deadline: dt.date | None


class PublicGuidance(Schema):
    procedures: list[ProcedureView]
    questions: list[QuestionView]
    fee_yen: int
    minutes: int


class PreEntryIssued(Schema):
    code: str
    expires_at: dt.datetime
    qr_svg: str = Field(description="the code as a QR (SVG markup)")
    guidance: PublicGuidance


class ApplyPreEntry(Schema):
    code: Annotated[str, StringConstraints(min_length=4, max_length=40, strip_whitespace=True)]


# --- reservations -------------------------------------------------------------------------


class SlotView(Schema):
    id: str
    queue_id: str
    purpose: str
    label: str
    label_ja: str
    starts_at: dt.datetime
    minutes: int
    capacity: int
    remaining: int


class SlotsCreate(Schema):
    """Slots every ``times`` on each day from ``first_day`` to ``last_day`` (weekdays given)."""

    queue_id: str
    purpose: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    label: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    first_day: dt.date
    last_day: dt.date
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(default=[0, 1, 2, 3, 4])
    times: list[Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$")]] = Field(
        min_length=1, max_length=48
    )
    minutes: int = Field(default=30, ge=5, le=240)
    capacity: int = Field(default=1, ge=1, le=100)


class SlotsCreated(Schema):
    created: int


class ReservationCreate(Schema):
    slot_id: str
    lang: Lang = "ja"
    phone: Phone | None = None


class ReservationIssued(Schema):
    number: str
    code: str
    status: str
    slot: SlotView
    qr_svg: str


class ReservationRead(Schema):
    id: str
    number: str
    status: str
    lang: str
    starts_at: dt.datetime
    purpose: str
    label: str
    queue_id: str
    booked_by: str
    ticket_number: str | None = None
    phone: str | None = None


class CheckIn(Schema):
    code: Annotated[str, StringConstraints(min_length=4, max_length=40, strip_whitespace=True)]


class ServiceSettings(Schema):
    preentry_enabled: bool = False
    reservations_enabled: bool = False
    preentry_retention_days: int = Field(default=7, ge=1, le=30)
    no_show_grace_minutes: int = Field(default=15, ge=0, le=240)
    reserved_first: bool = True


class QrSlipPrint(Schema):
    """What the ticket machine asks to print: the pre-entry page's QR, or with ``code`` the QR
    of a pre-entry just finished on the machine; the words in ``lang``."""

    lang: Literal["ja", "en", "zh-Hans", "ko", "vi", "pt"] = "ja"
    code: Annotated[str, StringConstraints(min_length=4, max_length=40)] | None = None


class ResidentLinks(Schema):
    """What the ticket machine offers: the pre-entry page's address and its QR."""

    preentry: bool
    reservations: bool
    url: str
    qr_svg: str
