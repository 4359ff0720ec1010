"""The messages between an agent and the backend (JSON objects, one per WebSocket message).

agent → backend
    ``{"type": "hello", "version": 1, "kinds": [...], "results": [<result>...],
    "running": [job ids]}`` first, on every (re)connection: results not yet acknowledged ride
    along, so a result finished while offline is delivered on reconnect.
    ``{"type": "result", "job_id": ID, "ok": true, "result": {...}}`` or
    ``{"type": "result", "job_id": ID, "ok": false, "error": {"code", "message", ...}}``
    ``{"type": "pong"}``
backend → agent
    ``{"type": "job", "job_id": ID, "kind": "read_card" | "print", "params": {...},
    "data_b64": "..."}`` — sent again after a reconnect until a result is stored.
    ``{"type": "ack", "job_id": ID}`` — the result is stored; the agent may forget it.
    ``{"type": "ping"}``

Each message is a typed model here; ``parse_from_agent`` / ``parse_from_backend`` read one
(refusing a malformed one with ``ProtocolError``) and ``dump`` / ``encode`` write the JSON above.

A PIN travels only inside ``params["pin"]`` of a ``read_card`` job and is never logged: the
PIN, print bytes and card data are left out of every ``repr`` and of ``masked``, and a refused
message's error never quotes its input.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    model_validator,
)

VERSION: Final = 1

JOB: Final = "job"
ACK: Final = "ack"
PING: Final = "ping"
PONG: Final = "pong"
HELLO: Final = "hello"
RESULT: Final = "result"

READ_CARD: Final = "read_card"
PRINT: Final = "print"

PIN_PATTERN: Final = r"^[0-9]{4}$"
"""The 券面事項入力補助 PIN of a My Number Card: 4 digits."""


class _Shape(BaseModel):
    # Unknown fields are ignored (a newer peer may add some); inputs never appear in errors.
    model_config = ConfigDict(
        frozen=True, extra="ignore", hide_input_in_errors=True, populate_by_name=True
    )


# --- jobs (backend → agent) ---------------------------------------------------------------


class ReadCardParams(_Shape):
    """``pin_at="tablet"``: the PIN rides in the job; ``"reader"``: typed on the reader's pad."""

    pin_at: Literal["tablet", "reader"] = "tablet"
    allow_last_try: bool = False
    pin: str | None = Field(default=None, pattern=PIN_PATTERN, repr=False)

    @model_validator(mode="after")
    def _pin_where_expected(self) -> ReadCardParams:
        if self.pin_at == "tablet" and self.pin is None:
            raise ValueError("a read_card job with pin_at=tablet carries the PIN")
        if self.pin_at == "reader" and self.pin is not None:
            raise ValueError("a read_card job with pin_at=reader carries no PIN")
        return self


class PrintParams(_Shape):
    target: Literal["receipt", "document"] = "receipt"
    label: str | None = Field(default=None, max_length=100)


def _from_base64(value: object) -> bytes:
    if isinstance(value, bytes):
        return value  # built in Python
    if isinstance(value, str):
        return base64.b64decode(value, validate=True)  # binascii.Error is a ValueError
    raise ValueError("print data must be base64 text")


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Bytes = Annotated[
    bytes,
    PlainValidator(_from_base64),
    PlainSerializer(_to_base64, return_type=str, when_used="json"),
]


class ReadCardJob(_Shape):
    type: Literal["job"] = JOB
    job_id: str = Field(min_length=1)
    kind: Literal["read_card"] = READ_CARD
    params: ReadCardParams


class PrintJob(_Shape):
    type: Literal["job"] = JOB
    job_id: str = Field(min_length=1)
    kind: Literal["print"] = PRINT
    params: PrintParams = PrintParams()
    data: Base64Bytes = Field(alias="data_b64", repr=False)


Job = Annotated[ReadCardJob | PrintJob, Field(discriminator="kind")]


class Ack(_Shape):
    type: Literal["ack"] = ACK
    job_id: str


class Ping(_Shape):
    type: Literal["ping"] = PING


# --- results (agent → backend) ------------------------------------------------------------


class CardResult(_Shape):
    """The four attributes as the card holds them (birth date YYYYMMDD or YYYY-MM-DD)."""

    name: str = Field(repr=False)
    address: str = Field(repr=False)
    birth_date: str = Field(repr=False)
    sex: str = Field(repr=False)


class PrintResult(_Shape):
    bytes: int = Field(ge=0)


RESULT_TYPES: Final[dict[str, type[CardResult] | type[PrintResult]]] = {
    READ_CARD: CardResult,
    PRINT: PrintResult,
}
"""What a successful job of each kind returns."""


class JobError(_Shape):
    """Why a job failed: a stable code, a message for the clerk, the PIN tries left if known."""

    code: str
    message: str
    retries_left: int | None = None


class ResultOk(_Shape):
    type: Literal["result"] = RESULT
    job_id: str = Field(min_length=1)
    ok: Literal[True] = True
    result: CardResult | PrintResult


class ResultFailed(_Shape):
    type: Literal["result"] = RESULT
    job_id: str = Field(min_length=1)
    ok: Literal[False] = False
    error: JobError


Result = Annotated[ResultOk | ResultFailed, Field(discriminator="ok")]


class Hello(_Shape):
    type: Literal["hello"] = HELLO
    version: int = VERSION
    kinds: list[str] = Field(default_factory=list)
    results: list[Result] = Field(default_factory=list)
    running: list[str] = Field(default_factory=list)


class Pong(_Shape):
    type: Literal["pong"] = PONG


AgentMessage = Annotated[Hello | Result | Pong, Field(discriminator="type")]
"""What an agent sends."""
BackendMessage = Annotated[Job | Ack | Ping, Field(discriminator="type")]
"""What the backend sends."""
Message = Hello | ResultOk | ResultFailed | Pong | ReadCardJob | PrintJob | Ack | Ping

_T = TypeVar("_T")

_FROM_AGENT: TypeAdapter[AgentMessage] = TypeAdapter(AgentMessage)
_FROM_BACKEND: TypeAdapter[BackendMessage] = TypeAdapter(BackendMessage)


class ProtocolError(ValueError):
    """A message that is not one of the above. Says where and why, never what was sent.

    ``message_type`` and ``job_id`` are filled in when the message had them, so a malformed
    job can still be answered with a failed result.
    """

    def __init__(self, reason: str, *, message_type: str | None, job_id: str | None) -> None:
        super().__init__(reason)
        self.message_type = message_type
        self.job_id = job_id


def parse_from_agent(raw: str | bytes | dict[str, Any]) -> AgentMessage:
    """One message from an agent (JSON text or an already decoded object)."""
    return _parse(_FROM_AGENT, raw)


def parse_from_backend(raw: str | bytes | dict[str, Any]) -> BackendMessage:
    """One message from the backend (JSON text or an already decoded object)."""
    return _parse(_FROM_BACKEND, raw)


def _parse(adapter: TypeAdapter[_T], raw: str | bytes | dict[str, Any]) -> _T:
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError as exc:
        raise ProtocolError("not JSON", message_type=None, job_id=None) from exc
    if not isinstance(data, dict):
        raise ProtocolError("not a JSON object", message_type=None, job_id=None)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False, include_context=False)
        )
        message_type, job_id = data.get("type"), data.get("job_id")
        raise ProtocolError(
            f"malformed {message_type if isinstance(message_type, str) else ''} message: "
            f"{problems}",
            message_type=message_type if isinstance(message_type, str) else None,
            job_id=job_id if isinstance(job_id, str) and job_id else None,
        ) from None


def dump(message: Message) -> dict[str, Any]:
    """The JSON object of a message, exactly as it goes on the wire (PIN and data included)."""
    return message.model_dump(mode="json", by_alias=True, exclude_none=True)


def encode(message: Message) -> str:
    return json.dumps(dump(message), ensure_ascii=False)


def masked(message: Message) -> dict[str, Any]:
    """A copy safe to log: no PIN, no bytes, no card data."""
    safe = message.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude={"data", "result", "results"}
    )
    if isinstance(message, ReadCardJob) and message.params.pin is not None:
        safe["params"]["pin"] = "****"
    if isinstance(message, Hello):
        safe["results"] = [result.job_id for result in message.results]
    return safe


def hello(kinds: list[str], results: list[ResultOk | ResultFailed], running: list[str]) -> Hello:
    return Hello(kinds=kinds, results=results, running=running)


def ok(job_id: str, result: CardResult | PrintResult) -> ResultOk:
    return ResultOk(job_id=job_id, result=result)


def failed(job_id: str, error: JobError) -> ResultFailed:
    return ResultFailed(job_id=job_id, error=error)
