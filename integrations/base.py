"""What every delivery adapter shares: one payload in, one result out.

Adapters use only ``contracts`` and libraries; the outbox table, the retry loop and the
configuration storage live in ``backend/outbox``. An adapter never raises for a delivery
failure: it reports it, so that the loop records the attempt and schedules the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contracts.handoff import Handoff
from contracts.workitem import WorkItemEvent


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    detail: str
    retryable: bool = True  # False: retrying cannot help (e.g. the receiver refused the payload)


class Adapter(Protocol):
    def deliver(self, handoff: Handoff | WorkItemEvent) -> DeliveryResult: ...


def canonical_body(handoff: Handoff | WorkItemEvent) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON, keys in model order."""
    import json

    return json.dumps(handoff.to_json_dict(), ensure_ascii=False, separators=(",", ":")).encode()
