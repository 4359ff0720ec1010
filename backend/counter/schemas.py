"""Request and response shapes of ``/api/v1/visits`` and ``/api/v1/tablet``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backend.platform.agentlink.schemas import AgentJobRead
from contracts.guidance import GuidanceResult, ProcedureResult
from contracts.signature import Signature
from contracts.visit import (
    Applicant,
    Certificate,
    Event,
    FactValue,
    Insurance,
    Representative,
    SexCode,
    Unresolved,
)
from forms.wareki import WarekiError, era_of

# Fields a My Number Card holds (基本4情報): exactly as read, never edited by staff.
CARD_FIELDS: tuple[str, ...] = ("name", "address", "birth_date", "sex")


def _writable_in_wareki(day: dt.date) -> dt.date:
    """The staff screen's rule (forms.wareki.parse_date): a form prints dates in 和暦, so a
    typed date before the first day of 明治 is refused here exactly as on the screen."""
    try:
        era_of(day)
    except WarekiError as exc:
        raise ValueError(str(exc)) from exc
    return day


TypedDate = Annotated[dt.date, AfterValidator(_writable_in_wareki)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


class VisitCreate(Schema):
    ticket_id: str | None = Field(default=None, description="the called ticket this visit serves")
    counter_id: str | None = Field(default=None, description="default: the ticket's counter")


class VisitUpdate(Schema):
    """Only the fields sent are changed."""

    event: Event | None = None
    event_date: TypedDate | None = None
    filed_on: TypedDate | None = None
    previous_address: str | None = None
    new_address: str | None = None
    household_head: str | None = None
    applicant: Applicant | None = Field(
        default=None,
        description="the 届出人: ``member`` (index) for a household member, else a name; "
        "null returns to the event's default (a parent for a birth, a survivor for a death)",
    )
    representative: Representative | None = Field(default=None, description="代理人")
    new_household_head: str | None = None
    facts: dict[str, FactValue] | None = Field(
        default=None, description="merged into the visit's facts; a null value removes a fact"
    )
    certificates: list[Certificate] | None = None
    unresolved: list[Unresolved] | None = Field(
        default=None, description="questions the clerk could not confirm, with the reason"
    )


class Answers(Schema):
    """Answers to the guidance's open questions, keyed by the question's ``id``
    (``has_dog``, ``members.1.insurance``…). A member field goes to the member, anything else
    to the visit's facts; a null value removes the answer."""

    answers: dict[str, FactValue] = Field(min_length=1)


class MemberAttributes(Schema):
    insurance: Insurance | None = None
    care_certified: bool | None = None
    disability_certificate: bool | None = None
    deceased: bool | None = None
    concerned: bool | None = Field(
        default=None, description="the member the event is about (newborn, spouse, mover)"
    )
    domicile: str | None = Field(default=None, description="本籍")
    domicile_head: str | None = Field(default=None, description="筆頭者")
    residence_status: str | None = None
    residence_period_end: TypedDate | None = None


class MemberCreate(MemberAttributes):
    """A member typed by staff (``source: staff``); card members come only from a card read."""

    name: str = Field(min_length=1)
    kana: str | None = None
    birth_date: TypedDate | None = None
    sex: SexCode | None = None
    relationship: str | None = None
    nationality: str | None = Field(default=None, min_length=2, max_length=2)
    address: str | None = None


class MemberUpdate(MemberAttributes):
    name: str | None = Field(default=None, min_length=1)
    kana: str | None = None
    birth_date: TypedDate | None = None
    sex: SexCode | None = None
    relationship: str | None = None
    nationality: str | None = Field(default=None, min_length=2, max_length=2)
    address: str | None = None


class MemberRead(MemberAttributes):
    id: str
    position: int
    name: str
    kana: str | None = None
    birth_date: dt.date | None = None
    sex: SexCode | None = None
    relationship: str | None = None
    nationality: str | None = None
    address: str | None = None
    source: Literal["card", "staff", "core", "resident"]
    field_sources: dict[str, str] = Field(
        default_factory=dict, description="fields from elsewhere than the source, e.g. kana: core"
    )
    core_differences: list[dict[str, str | None]] = Field(
        default_factory=list,
        description="where the card and the core system disagree: field, card, core",
    )
    read_only_fields: list[str] = Field(description="fields the API refuses to change")
    may_file: bool = Field(
        default=True, description="can be the 届出人 (not the deceased, not the newborn)"
    )
    newborn: bool = Field(default=False, description="the child a birth is about")


class VisitRead(Schema):
    id: str
    status: str
    counter_id: str | None
    ticket_id: str | None
    ticket_number: str | None = None
    event: str | None
    event_date: dt.date | None
    filed_on: dt.date | None
    previous_address: str | None
    new_address: str | None
    household_head: str | None
    applicant: Applicant | None
    applicant_chosen: bool = Field(
        default=False, description="the clerk chose the 届出人 (else the event's default)"
    )
    representative: Representative | None = None
    new_household_head: str | None = None
    unresolved: list[Unresolved] = Field(default_factory=list)
    facts: dict[str, Any]
    certificates: list[dict[str, Any]]
    members: list[MemberRead]
    created_at: dt.datetime
    closed_at: dt.datetime | None


# --- a change's answer: what the staff console would otherwise fetch right after ----------

CHANGE_GUIDANCE = (
    "the visit's guidance, exactly as POST /api/v1/visits/{id}/guidance returns it (without "
    "lang); null while no event is chosen or when the caller may not use the guidance"
)


class VisitChanged(VisitRead):
    """``PATCH /visits/{id}`` and ``POST …/answers``: the visit as ``GET /visits/{id}`` shows
    it (the fields of ``VisitRead``, as before) and its guidance, so the console re-renders
    without a second round trip."""

    guidance: GuidanceResult | None = Field(default=None, description=CHANGE_GUIDANCE)


class VisitWithGuidance(VisitChanged):
    """``GET /visits/{id}/with-guidance``: a change's answer, and with ``?documents=true`` the
    visit's stored documents as ``GET …/documents`` lists them (the console's step ⑥ after the
    signature, in one request instead of two)."""

    documents: list[DocumentRead] | None = Field(
        default=None, description="with ?documents=true: as GET /visits/{id}/documents; else null"
    )


class MemberChanged(MemberRead):
    """A member added or changed (the fields of ``MemberRead``, as before), with the whole
    visit as ``GET /visits/{id}`` shows it and its guidance."""

    visit: VisitRead
    guidance: GuidanceResult | None = Field(default=None, description=CHANGE_GUIDANCE)


class VisitSummary(Schema):
    id: str
    status: str
    counter_id: str | None
    ticket_number: str | None = None
    event: str | None
    members: int
    created_at: dt.datetime


class VisitEventRead(Schema):
    kind: str
    at: dt.datetime
    data: dict[str, Any]


class Journey(Schema):
    """The visit measured from its events (seconds; None while not yet known)."""

    events: list[VisitEventRead]
    wait_seconds: float | None = Field(description="ticket issued → called")
    service_seconds: float | None = Field(description="visit opened → closed (or now)")
    counters_visited: int
    cards_read: int
    members_typed: int
    forms: int
    fields_not_handwritten: int = Field(
        description="form fields the resident did not write by hand (prefilled from the record)"
    )


# --- the counter flow after the interview (forms, documents, the tablet) ----------------------


class FormRef(BaseModel):
    form: str
    title: str


class Forms(BaseModel):
    forms: list[FormRef]


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    form: str
    title: str
    filename: str
    sha256: str
    signature_id: str | None


class TabletVisit(BaseModel):
    id: str
    status: str
    record: dict[str, Any]
    forms: list[dict[str, str]]
    procedures: list[ProcedureResult] | None = Field(
        default=None,
        description="the visit's procedures with ``local`` texts in the resident's language "
        "beside the Japanese, when the tablet asks with ``lang`` (the checklist to confirm)",
    )


class TabletView(BaseModel):
    counter: str | None
    visit: TabletVisit | None
    pin_request: AgentJobRead | None
    card_read: AgentJobRead | None = None
    resident_lang: str | None = Field(
        default=None,
        description="the language of the counter's open visit (its pre-entry's, else its "
        "ticket's): the tablet starts in it for that visit; the resident can still switch",
    )
    visit_id: str | None = Field(
        default=None,
        description="the counter's open visit (any state), so the tablet knows a new resident",
    )


class SignatureSubmit(BaseModel):
    signature: Signature


class Signed(BaseModel):
    documents: int
    forms: list[str]


class TabletStatus(BaseModel):
    paired: bool
    online: bool


class SignatureWait(BaseModel):
    """What the console polls while the resident signs: no personal data, so no audit."""

    status: str
    tablet: TabletStatus
