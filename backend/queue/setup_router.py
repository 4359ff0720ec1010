"""``/api/v1/setup``: the admin's offices, queues (ticket-machine buttons) and counters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, Field

from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.queue import setup
from backend.queue.models import TRANSLATED_LANGUAGES

router = APIRouter(prefix="/api/v1/setup", tags=["setup"])

Admin = Annotated[Principal, Depends(require(Permission.OFFICE_MANAGE))]
Hours = Annotated[str, Field(min_length=5, max_length=5, description="HH:MM local time")]
TranslatedName = Annotated[str, Field(max_length=64)]


def _known_languages(names: dict[str, str] | None) -> dict[str, str] | None:
    """Only the resident languages beyond ja / en, blanks dropped (a blank reads English)."""
    if names is None:
        return None
    unknown = sorted(set(names) - set(TRANSLATED_LANGUAGES))
    if unknown:
        raise ValueError(f"unknown languages {unknown}: use {list(TRANSLATED_LANGUAGES)}")
    return {lang: name.strip() for lang, name in names.items() if name.strip()}


Translations = Annotated[
    dict[str, TranslatedName],
    AfterValidator(_known_languages),
    Field(description="the name in zh-Hans, ko, vi, pt; a language left out is shown in English"),
]


class OfficeWrite(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    opens_at: Hours = "08:30"
    closes_at: Hours = "17:15"


class OfficeChange(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    opens_at: Hours | None = None
    closes_at: Hours | None = None


class QueueWrite(BaseModel):
    prefix: str = Field(min_length=1, max_length=2, description="printed before the number")
    name_ja: str = Field(min_length=1, max_length=64, description="the button's words")
    name_en: str = Field(min_length=1, max_length=64)
    name_translations: Translations = Field(default_factory=dict)
    sort_order: int = Field(default=0, ge=0, le=1000)
    default_service_minutes: float = Field(default=10.0, gt=0, le=240)
    issue_opens_at: Hours | None = None
    issue_closes_at: Hours | None = None


class QueueChange(BaseModel):
    name_ja: str | None = Field(default=None, min_length=1, max_length=64)
    name_en: str | None = Field(default=None, min_length=1, max_length=64)
    name_translations: Translations | None = None
    sort_order: int | None = Field(default=None, ge=0, le=1000)
    default_service_minutes: float | None = Field(default=None, gt=0, le=240)
    active: bool | None = None
    issue_opens_at: Hours | None = None
    issue_closes_at: Hours | None = None


class CounterWrite(BaseModel):
    code: str = Field(min_length=1, max_length=32, description="窓口番号, e.g. 1")
    name: str = Field(min_length=1, max_length=100)
    floor: str | None = Field(default=None, max_length=16)
    queue_ids: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list)


class CounterChange(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    floor: str | None = Field(default=None, max_length=16)
    queue_ids: list[Annotated[str, Field(max_length=32)]] | None = None


class QueueSetup(BaseModel):
    id: str
    prefix: str
    name_ja: str
    name_en: str
    name_translations: dict[str, str]
    sort_order: int
    default_service_minutes: float
    active: bool
    issue_opens_at: str | None
    issue_closes_at: str | None


class CounterSetup(BaseModel):
    id: str
    code: str
    name: str
    floor: str | None
    queue_ids: list[str]


class OfficeSetup(BaseModel):
    id: str
    code: str
    name: str
    opens_at: str
    closes_at: str
    queues: list[QueueSetup]
    counters: list[CounterSetup]


def _office(session: SessionDep, office_id: str) -> OfficeSetup:
    office = setup.get_office(session, office_id)
    return OfficeSetup(
        id=office.id, code=office.code, name=office.name, opens_at=office.opens_at,
        closes_at=office.closes_at,
        queues=[
            QueueSetup(
                id=q.id, prefix=q.prefix, name_ja=q.name_ja, name_en=q.name_en,
                name_translations=dict(q.name_translations or {}),
                sort_order=q.sort_order, default_service_minutes=q.default_service_minutes,
                active=q.active, issue_opens_at=q.issue_opens_at, issue_closes_at=q.issue_closes_at,
            )
            for q in setup.queues_of(session, office.id)
        ],
        counters=[
            CounterSetup(id=c.id, code=c.code, name=c.name, floor=c.floor,
                         queue_ids=setup.queue_ids_of(session, c.id))
            for c in setup.counters_of(session, office.id)
        ],
    )  # fmt: skip


def _set(body: BaseModel) -> dict[str, object]:
    return body.model_dump(exclude_unset=True)


@router.get("/offices", response_model=list[OfficeSetup])
def list_offices(admin: Admin, session: SessionDep) -> list[OfficeSetup]:
    return [_office(session, office.id) for office in setup.offices(session)]


@router.post("/offices", response_model=OfficeSetup, status_code=201)
def create_office(body: OfficeWrite, admin: Admin, session: SessionDep) -> OfficeSetup:
    office = setup.create_office(
        session, admin.tenant_id, **body.model_dump(), change=setup.Change(admin.actor)
    )
    return _office(session, office.id)


@router.patch("/offices/{office_id}", response_model=OfficeSetup)
def change_office(
    office_id: str, body: OfficeChange, admin: Admin, session: SessionDep
) -> OfficeSetup:
    office = setup.get_office(session, office_id)
    setup.update_office(session, office, _set(body), setup.Change(admin.actor))
    return _office(session, office.id)


@router.post("/offices/{office_id}/queues", response_model=OfficeSetup, status_code=201)
def create_queue(
    office_id: str, body: QueueWrite, admin: Admin, session: SessionDep
) -> OfficeSetup:
    office = setup.get_office(session, office_id)
    setup.create_queue(session, office, body.model_dump(), setup.Change(admin.actor))
    return _office(session, office.id)


@router.patch("/queues/{queue_id}", response_model=OfficeSetup)
def change_queue(
    queue_id: str, body: QueueChange, admin: Admin, session: SessionDep
) -> OfficeSetup:
    queue = setup.get_queue(session, queue_id)
    setup.update_queue(session, queue, _set(body), setup.Change(admin.actor))
    return _office(session, queue.office_id)


@router.post("/offices/{office_id}/counters", response_model=OfficeSetup, status_code=201)
def create_counter(
    office_id: str, body: CounterWrite, admin: Admin, session: SessionDep
) -> OfficeSetup:
    office = setup.get_office(session, office_id)
    values = body.model_dump(exclude={"queue_ids"})
    setup.create_counter(session, office, values, body.queue_ids, setup.Change(admin.actor))
    return _office(session, office.id)


@router.patch("/counters/{counter_id}", response_model=OfficeSetup)
def change_counter(
    counter_id: str, body: CounterChange, admin: Admin, session: SessionDep
) -> OfficeSetup:
    counter = setup.get_counter(session, counter_id)
    values = body.model_dump(exclude_unset=True, exclude={"queue_ids"})
    queue_ids = body.queue_ids if "queue_ids" in body.model_fields_set else None
    setup.update_counter(session, counter, values, queue_ids, setup.Change(admin.actor))
    return _office(session, counter.office_id)
