"""API shapes of the outbox: destinations, deliveries, the pull feed."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DestinationKind = Literal["webhook", "csv", "amqp", "pull"]


class DestinationConfig(BaseModel):
    """What every destination's contract says, whatever its kind."""

    model_config = ConfigDict(extra="forbid")
    facts: list[str] = Field(
        default_factory=list,
        description=(
            "names of the visit's facts this destination receives (free text, answers); "
            "none by default: a fact not named here never leaves madoguchi"
        ),
    )
    topics: list[str] = Field(
        default_factory=list,
        description="topics sent only on request, e.g. workitem (the back office's state "
        "changes); hand-offs are always sent",
    )
    charset: Literal["jisx0208", "jisx0213", "cp932", "mj"] | None = Field(
        default=None,
        description="the characters the receiving (core) system holds; names and addresses "
        "outside it are flagged with a substitute for the back office",
    )


class WebhookConfig(DestinationConfig):
    url: str = Field(pattern=r"^https?://")


class CsvConfig(DestinationConfig):
    folder: str = Field(min_length=1, description="drop folder; relative to MADOGUCHI_DATA_DIR")
    encoding: Literal["cp932", "utf-8-sig"] = "cp932"
    delimiter: Literal["comma", "tab"] = "comma"
    substitutions: dict[str, str] = Field(
        default_factory=dict, description="character (or IVS pair) → CP932 replacement"
    )
    replacement: str = Field(default="〓", min_length=1, max_length=1)

    @model_validator(mode="after")
    def _handoffs_only(self) -> CsvConfig:
        if self.topics:
            raise ValueError("a CSV file holds hand-offs only: no further topics")
        return self


class AmqpConfig(DestinationConfig):
    url: str = Field(pattern=r"^amqps?://")
    exchange: str = ""
    routing_key: str = Field(min_length=1)
    queue: str | None = None


class PullConfig(DestinationConfig):
    pass


CONFIG_MODELS: dict[str, type[BaseModel]] = {
    "webhook": WebhookConfig,
    "csv": CsvConfig,
    "amqp": AmqpConfig,
    "pull": PullConfig,
}


class DestinationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    kind: DestinationKind
    config: dict[str, Any] = Field(default_factory=dict)
    secret: str | None = Field(default=None, description="webhook: signing secret (whsec_…)")
    enabled: bool = True
    max_attempts: int = Field(default=10, ge=1, le=100)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    backoff_base_seconds: float = Field(default=5.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _config_fits_kind(self) -> DestinationCreate:
        self.config = CONFIG_MODELS[self.kind].model_validate(self.config).model_dump()
        if self.kind == "webhook" and not self.secret:
            raise ValueError("a webhook destination needs a signing secret")
        return self


class DestinationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    kind: str
    enabled: bool
    config: dict[str, Any]
    has_secret: bool
    max_attempts: int
    timeout_seconds: float
    backoff_base_seconds: float
    backoff_max_seconds: float
    feed_cursor: int
    acked_cursor: int
    purged_unread: int = Field(
        0, description="messages retention purged before this destination took them"
    )
    purged_unread_oldest: dt.datetime | None = Field(
        None, description="when the oldest of them was written"
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: dt.datetime
    ok: bool
    detail: str | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    destination: str
    destination_id: str | None
    idempotency_key: str
    version: int
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime


class DeliveryDetail(DeliveryRead):
    attempt_log: list[AttemptRead] = Field(default_factory=list)


class FeedItem(BaseModel):
    cursor: int
    topic: str = Field("handoff", description="handoff, or a topic the destination asked for")
    handoff: dict[str, Any] = Field(description="the payload; its schema field names its kind")


class FeedPage(BaseModel):
    destination: str
    items: list[FeedItem]
    next_cursor: int = Field(description="ack this once the items are stored")
    acked_cursor: int


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: int = Field(ge=0)
    destination: str | None = None


class AckResponse(BaseModel):
    destination: str
    acked_cursor: int
    acknowledged: int


class RecentDelivery(BaseModel):
    id: str
    status: str
    attempts: int
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    last_error: str | None


class DestinationHealth(BaseModel):
    id: str
    name: str
    kind: str
    enabled: bool
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_failure: str | None = Field(description="the adapter's own words (technical)")
    last_failure_in_words: str | None = Field(description="what happened and what to check")
    pending: int = Field(description="waiting for their next attempt, or being delivered")
    published: int = Field(description="pull: in the feed, not yet acknowledged")
    dead: int = Field(description="dead letters: gave up, an admin may replay them")
    delivered: int
    expired: int = Field(description="purged unread: retention passed before delivery")
    recent: list[RecentDelivery] = Field(description="the last deliveries, newest first")
