"""What the agent runs: a handler per job kind, injected by whoever starts the agent.

The card and printer code live in their own packages; the agent only knows these Protocols.
A handler raises an exception with a ``code`` (and optionally ``retries_left``) to fail a job
with a message for the clerk; anything else becomes ``agent_internal_error``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import contracts.agent as protocol

log = logging.getLogger(__name__)


class CardReader(Protocol):
    """Reads the four attributes (name, address, birth_date, sex) of a My Number Card.

    ``pin`` is None when the resident types it on the reader's own PIN pad. With
    ``allow_last_try`` False, a card with one try left is refused before the PIN is sent.
    """

    def read_attributes(self, pin: str | None, *, allow_last_try: bool) -> Mapping[str, str]: ...


class Printer(Protocol):
    """Sends raw bytes (ESC/POS, or a document a printer understands) to the local printer."""

    def print_bytes(self, data: bytes, *, target: str) -> None: ...


class JobError(Exception):
    """A job failed in a way the clerk should be told about."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class BadJob(JobError):
    def __init__(self, message: str) -> None:
        super().__init__("bad_job", message)


NOT_CONFIGURED = {
    protocol.READ_CARD: (
        "no_reader",
        "この端末にはカードリーダーが設定されていません。リーダーの接続と設定を確認してください。",
    ),
    protocol.PRINT: (
        "no_printer",
        "この端末にはプリンターが設定されていません。プリンターの接続と設定を確認してください。",
    ),
}


def error_body(exc: BaseException) -> dict[str, Any]:
    """The error a failed job reports: code, message, and tries left when a PIN was involved."""
    code = getattr(exc, "code", None)
    if not isinstance(code, str):
        log.error("job handler failed unexpectedly: %s", type(exc).__name__)
        return {
            "code": "agent_internal_error",
            "message": "窓口の端末で予期しないエラーが発生しました。もう一度お試しください。",
        }
    message = getattr(exc, "message", None) or str(exc)
    body: dict[str, Any] = {"code": code, "message": message}
    retries_left = getattr(exc, "retries_left", None)
    if isinstance(retries_left, int):
        body["retries_left"] = retries_left
    details = getattr(exc, "details", None)
    if isinstance(details, dict):
        body.update({k: v for k, v in details.items() if k not in body})
    return body


JobRunner = Callable[[dict[str, Any], bytes | None], dict[str, Any]]


@dataclass
class Handlers:
    """The devices this agent has: None when the PC has no reader or no printer."""

    card_reader: CardReader | None = None
    printer: Printer | None = None
    extra: dict[str, JobRunner] = field(default_factory=dict)

    @property
    def kinds(self) -> list[str]:
        kinds = [protocol.READ_CARD] if self.card_reader else []
        kinds += [protocol.PRINT] if self.printer else []
        return kinds + sorted(self.extra)

    def run(self, kind: str, params: dict[str, Any], data: bytes | None) -> dict[str, Any]:
        """Run one job, blocking (the client calls this in a worker thread)."""
        if kind in self.extra:
            return self.extra[kind](params, data)
        if kind == protocol.READ_CARD:
            return self._read_card(params)
        if kind == protocol.PRINT:
            return self._print(params, data)
        raise BadJob(f"この端末では扱えない処理です ({kind})。")

    def _read_card(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.card_reader is None:
            raise JobError(*NOT_CONFIGURED[protocol.READ_CARD])
        pin = params.pop("pin", None)  # the PIN leaves the params as soon as it is used
        try:
            attributes = self.card_reader.read_attributes(
                pin, allow_last_try=bool(params.get("allow_last_try", False))
            )
        finally:
            del pin
        return {key: attributes[key] for key in ("name", "address", "birth_date", "sex")}

    def _print(self, params: dict[str, Any], data: bytes | None) -> dict[str, Any]:
        if self.printer is None:
            raise JobError(*NOT_CONFIGURED[protocol.PRINT])
        if not data:
            raise BadJob("印刷するデータがありません。")
        self.printer.print_bytes(data, target=str(params.get("target", "receipt")))
        return {"bytes": len(data)}


def decode_data(message: protocol.Message) -> bytes | None:
    encoded = message.get("data_b64")
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadJob("印刷データが壊れています。") from exc
