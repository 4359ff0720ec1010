"""What the agent link needs from the rest of the app, wired once at start (``configure``).

The link is generic: it does not know what a device row looks like, nor what a card result
means for a visit. The app gives it

- a ``DeviceDirectory``: agents by token, by counter and by id, and "seen now" for presence;
- a result handler per job kind (``register_result_handler``): what a finished job does to the
  domain that asked for it (e.g. the counter adds the card's holder to the visit).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, overload

from sqlalchemy.orm import Session

import contracts.agent as protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentDevice:
    """An agent as the link sees it: where it stands and when it was last seen."""

    id: str
    tenant_id: str
    counter_id: str | None
    name: str
    last_seen_at: dt.datetime | None


class DeviceDirectory(Protocol):
    def authenticate(self, session: Session, token: str) -> AgentDevice | None:
        """The un-revoked device of this token if it may connect as an agent; marks it seen."""
        ...

    def for_counter(self, session: Session, counter_id: str) -> AgentDevice | None:
        """The agent paired with a counter (the oldest, if several)."""
        ...

    def get(self, session: Session, device_id: str) -> AgentDevice | None: ...

    def touch(self, session: Session, device_id: str) -> None:
        """Record that the device was seen now (presence across backend processes)."""
        ...


@dataclass(frozen=True)
class FinishedJob:
    """The job a result handler is told about (read-only: the link owns the job's row)."""

    id: str
    kind: str
    tenant_id: str
    device_id: str
    counter_id: str | None
    visit_id: str | None
    params: Mapping[str, Any]

    @property
    def actor(self) -> str:
        return f"device:{self.device_id}"


R = TypeVar("R", protocol.CardResult, protocol.PrintResult)

DoneHandler = Callable[[Session, FinishedJob, R], dict[str, Any]]
"""Applies a job's result in the job's transaction; returns what the job keeps (ids only, no
personal data). Raising a ``MadoguchiError`` fails the job with its code instead."""

FailedHandler = Callable[[Session, FinishedJob, protocol.JobError], None]
"""Notes a job's failure (the agent's, or the link's own, e.g. ``pin_lost``)."""


@dataclass(frozen=True)
class ResultHandler:
    done: Callable[[Session, FinishedJob, Any], dict[str, Any]]
    failed: FailedHandler | None


class NotConfigured(RuntimeError):
    """The app did not call ``configure`` before agents connected."""


_directory: DeviceDirectory | None = None
_handlers: dict[str, ResultHandler] = {}


def configure(*, devices: DeviceDirectory) -> None:
    global _directory
    _directory = devices


def devices() -> DeviceDirectory:
    if _directory is None:
        raise NotConfigured("agentlink.configure(devices=...) was not called")
    return _directory


@overload
def register_result_handler(
    kind: Literal["read_card"],
    *,
    done: DoneHandler[protocol.CardResult],
    failed: FailedHandler | None = None,
) -> None: ...


@overload
def register_result_handler(
    kind: Literal["print"],
    *,
    done: DoneHandler[protocol.PrintResult],
    failed: FailedHandler | None = None,
) -> None: ...


def register_result_handler(
    kind: str,
    *,
    done: Callable[[Session, FinishedJob, Any], dict[str, Any]],
    failed: FailedHandler | None = None,
) -> None:
    """Where the results of jobs of ``kind`` go (one handler per kind; a new one replaces it)."""
    if kind not in protocol.RESULT_TYPES:
        raise ValueError(f"no such job kind: {kind}")
    _handlers[kind] = ResultHandler(done, failed)


def result_handler(kind: str) -> ResultHandler | None:
    return _handlers.get(kind)
