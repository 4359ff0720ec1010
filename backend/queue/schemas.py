"""API shapes of the queue: Read models for queues, tickets, counters, the board and the phone."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class QueueRead(Schema):
    id: str
    prefix: str
    name_ja: str
    name_en: str
    names: dict[str, str] = Field(
        default_factory=dict,
        description="the name in each resident language (ja, en, zh-Hans, ko, vi, pt), a missing "
        "translation already replaced by English, then Japanese",
    )
    waiting: int = Field(description="tickets waiting now")
    estimated_wait_minutes: int | None = Field(
        description="what a ticket taken now would be told, rounded to 5 minutes"
    )
    issuing_open: bool
    opens_at: str
    closes_at: str


class QueueList(Schema):
    office_id: str
    office_name: str
    queues: list[QueueRead]


class TicketRead(Schema):
    id: str
    display_number: str
    queue_id: str
    origin_queue_id: str
    status: str
    priority: bool
    issued_at: dt.datetime
    called_at: dt.datetime | None
    counter_id: str | None
    call_count: int
    transfer_count: int


ResidentLanguage = Literal["ja", "en", "zh-Hans", "ko", "vi", "pt"]


class TicketCreate(Schema):
    queue_id: str
    priority: bool = Field(False, description="e.g. a resident who cannot wait standing")
    lang: ResidentLanguage = Field(
        "ja", description="the language chosen on the ticket machine: slip and phone page"
    )


class PrintResult(Schema):
    status: Literal["printed", "paper_out", "failed", "not_configured"]
    printed: bool
    message: str = ""


class IssuedTicket(Schema):
    ticket: TicketRead
    people_ahead: int
    estimated_wait_minutes: int | None
    follow_url: str = Field(description="the phone status page (also in the QR code)")
    qr_svg_url: str = Field(description="the QR code as SVG, for the screen when not printed")
    print: PrintResult
    queue_name_ja: str
    queue_name_en: str
    queue_names: dict[str, str] = Field(
        default_factory=dict,
        description="the queue's name in each resident language (see QueueRead.names)",
    )


class TicketTransfer(Schema):
    queue_id: str = Field(description="the queue the resident is sent on to")


class TicketEventRead(Schema):
    kind: str
    at: dt.datetime
    queue_id: str | None
    counter_id: str | None
    actor: str | None
    data: dict[str, Any]


class CounterRead(Schema):
    id: str
    code: str
    name: str
    floor: str | None
    is_open: bool
    queue_ids: list[str]
    current_ticket: TicketRead | None


class CallResult(Schema):
    ticket: TicketRead | None = Field(description="null when nobody is waiting")


class BoardCall(Schema):
    display_number: str
    counter_code: str
    counter_name: str
    floor: str | None
    called_at: dt.datetime
    status: str


class BoardQueue(Schema):
    prefix: str
    name_ja: str
    name_en: str
    names: dict[str, str] = Field(
        default_factory=dict,
        description="the name in each resident language (ja, en, zh-Hans, ko, vi, pt), a missing "
        "translation already replaced by English, then Japanese",
    )
    waiting: int
    estimated_wait_minutes: int | None


class Board(Schema):
    office_id: str
    office_name: str
    calls: list[BoardCall]
    queues: list[BoardQueue]
    languages: list[str] = Field(
        description="the board's languages (MADOGUCHI_DISPLAY_LANGUAGES): the first always "
        "shown, the others in turn"
    )


class FollowStatus(Schema):
    """The phone page: no personal data, found only by the unguessable follow token."""

    display_number: str
    status: str
    queue_name_ja: str
    queue_name_en: str
    queue_names: dict[str, str] = Field(
        default_factory=dict,
        description="the queue's name in each resident language (see QueueRead.names)",
    )
    lang: str = Field("ja", description="the language the ticket was issued in")
    people_ahead: int | None
    estimated_wait_minutes: int | None
    counter_code: str | None
    counter_name: str | None
    office_id: str
    outcome: Literal["processing", "done"] | None = Field(
        default=None,
        description="the back office's work on the visit, where the municipality shows it "
        "(tenant setting follow_shows_outcome, default off): processing (処理中) until every "
        "work item is done (完了); a return to the counter stays processing",
    )
