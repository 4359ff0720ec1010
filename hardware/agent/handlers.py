"""What the agent runs: a handler per job kind, injected by whoever starts the agent.

The card and printer code live in their own packages; the agent only knows these Protocols.
A handler raises an exception with a ``code`` (and optionally ``retries_left``) to fail a job
with a message for the clerk; anything else becomes ``agent_internal_error``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import contracts.agent as protocol

log = logging.getLogger(__name__)


class CardReader(Protocol):
    """Reads the four attributes (name, address, birth_date, sex) of a My Number Card.

    ``pin`` is None when the resident types it on the reader's own PIN pad. With
    ``allow_last_try`` False, a card with one try left is refused before the PIN is sent.
    """

    def read_attributes(self, pin: str | None, *, allow_last_try: bool) -> protocol.CardResult: ...


class Printer(Protocol):
    """Sends raw bytes (ESC/POS, or a document a printer understands) to the local printer."""

    def print_bytes(self, data: bytes, *, target: str) -> None: ...


class JobError(Exception):
    """A job failed in a way the clerk should be told about."""

    def __init__(self, code: str, message: str, retries_left: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retries_left = retries_left


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


def job_error(exc: BaseException) -> protocol.JobError:
    """The error a failed job reports: code, message, and tries left when a PIN was involved."""
    code = getattr(exc, "code", None)
    if not isinstance(code, str):
        log.error("job handler failed unexpectedly: %s", type(exc).__name__)
        return protocol.JobError(
            code="agent_internal_error",
            message="窓口の端末で予期しないエラーが発生しました。もう一度お試しください。",
        )
    retries_left = getattr(exc, "retries_left", None)
    return protocol.JobError(
        code=code,
        message=getattr(exc, "message", None) or str(exc),
        retries_left=retries_left if isinstance(retries_left, int) else None,
    )


def refused_job() -> protocol.JobError:
    """The failure reported for a job message this agent cannot read (e.g. an unknown kind)."""
    return protocol.JobError(
        code="bad_job", message="この端末では扱えない処理です（内容を読めませんでした）。"
    )


@dataclass
class Handlers:
    """The devices this agent has: None when the PC has no reader or no printer."""

    card_reader: CardReader | None = None
    printer: Printer | None = None

    @property
    def kinds(self) -> list[str]:
        kinds = [protocol.READ_CARD] if self.card_reader else []
        return kinds + ([protocol.PRINT] if self.printer else [])

    def run(
        self, job: protocol.ReadCardJob | protocol.PrintJob
    ) -> protocol.CardResult | protocol.PrintResult:
        """Run one job, blocking (the client calls this in a worker thread)."""
        if isinstance(job, protocol.ReadCardJob):
            return self._read_card(job.params)
        return self._print(job.params, job.data)

    def _read_card(self, params: protocol.ReadCardParams) -> protocol.CardResult:
        if self.card_reader is None:
            raise JobError(*NOT_CONFIGURED[protocol.READ_CARD])
        return self.card_reader.read_attributes(params.pin, allow_last_try=params.allow_last_try)

    def _print(self, params: protocol.PrintParams, data: bytes) -> protocol.PrintResult:
        if self.printer is None:
            raise JobError(*NOT_CONFIGURED[protocol.PRINT])
        if not data:
            raise BadJob("印刷するデータがありません。")
        self.printer.print_bytes(data, target=params.target)
        return protocol.PrintResult(bytes=len(data))
