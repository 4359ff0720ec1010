"""Wake a counter's tablet when something it shows may have changed.

The tablet long-polls ``GET /api/v1/tablet/current?wait=N`` (``tablet_router``): instead of a
request every second it waits on the counter's key in ``backend.platform.notifier``. A unit of
work that writes an agent job of the counter (a PIN request, a card read's result), opens or
deletes a visit there, changes a visit's status or language, or changes anything of a visit
(or its members) that is on the tablet publishes ``counter:<id>`` once it commits, on whichever
replica it ran. The clerk's edits of a visit still with them publish nothing: no answer
waiting on the key shows them (``_visit_change``). A wake-up only says "look again": the
tablet's ETag decides whether anything the resident sees changed. A lost notification costs
at most ``RECHECK_SECONDS`` of delay.

The staff console long-polls the counter's devices (``/agent/status``, ``/tablet/status``) on
another key, ``devices_key`` (not woken by every change of the visit), and the signature wait
on both (``backend.platform.long_poll``); ``devices_key`` is published when a device's presence
changes: an agent connects (its ``AgentLink`` row is written) or
disconnects (the row is deleted, in bulk: seen in ``do_orm_execute``), a device of the counter
is paired, moved or revoked, or is seen again after longer than its presence lasts. Its every
other sighting (a tablet re-authenticated every few seconds) publishes nothing: it changes no
answer, and would wake the tablet's own wait in a loop. A presence that ends by time (nothing
heard for ``TABLET_PRESENCE_SECONDS``) publishes nothing either: the waits look again when it
expires (``long_poll.Look.stale_in``) or every ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import BinaryExpression, BindParameter, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement

from backend.counter.models import HouseholdMember, Visit
from backend.counter.states import ON_TABLET
from backend.identity.devices.models import Device, DeviceKind
from backend.platform import notifier
from backend.platform.agentlink.hub import PRESENCE_SECONDS as AGENT_PRESENCE_SECONDS
from backend.platform.agentlink.models import AgentJob, AgentLink
from backend.platform.long_poll import (
    MAX_WAIT_SECONDS,
    RECHECK_SECONDS,
    counter_key,
    devices_key,
)

__all__ = [
    "MAX_WAIT_SECONDS",
    "RECHECK_SECONDS",
    "TABLET_PRESENCE_SECONDS",
    "counter_key",
    "devices_key",
]

# A long-polling tablet is authenticated again, so seen, every RECHECK_SECONDS.
TABLET_PRESENCE_SECONDS = 20.0

_PRESENCE = {
    DeviceKind.TABLET.value: TABLET_PRESENCE_SECONDS,
    DeviceKind.AGENT.value: AGENT_PRESENCE_SECONDS,
}
_SIGHTING = frozenset({"last_seen_at", "updated_at"})  # what a device's every sighting writes
# What the counter's waits show of a visit still with the clerk (its status and the resident's
# language; which counter it is at): the rest of it only once it is on the tablet.
_SHOWN_WITH_CLERK = ("status", "resident_lang", "counter_id")


def _keys_of(session: Session, row: Any) -> list[str]:
    if isinstance(row, AgentJob):
        return _each(counter_key, (row.counter_id,))
    if isinstance(row, Visit):
        return _each(counter_key, _visit_change(session, row))
    if isinstance(row, HouseholdMember):
        # Only from the identity map (no statement): a member is changed with its visit loaded;
        # when it is not, the tablet's periodic look catches the change.
        visit = session.identity_map.get(identity_key(Visit, row.visit_id))
        if isinstance(visit, Visit) and visit.status in ON_TABLET:
            return _each(counter_key, (visit.counter_id,))
        return []
    if isinstance(row, Device):
        return _each(devices_key, _device_change(session, row))
    if isinstance(row, AgentLink):  # the agent connected (here or on another replica)
        return _each(devices_key, (_device_counter(session, row.device_id),))
    return []


def _visit_change(session: Session, visit: Visit) -> tuple[str | None, ...]:
    """The counters whose answers a write of ``visit`` may change. While the visit is with the
    clerk, the tablet shows a welcome naming only the visit and its language and the signature
    wait shows its status (``tablet._shown_parts``): the clerk's every edit of the record
    (a dozen a visit) changes neither, and waking for it cost each waiting tablet a look."""
    if visit in session.new or visit in session.deleted:
        return (visit.counter_id,)
    state = inspect(visit)
    if visit.status not in ON_TABLET and not any(
        state.attrs[name].history.has_changes() for name in _SHOWN_WITH_CLERK
    ):
        return ()
    return (*state.attrs.counter_id.history.deleted, visit.counter_id)


def _each(key: Callable[[str], str], counter_ids: tuple[str | None, ...]) -> list[str]:
    return [key(counter_id) for counter_id in counter_ids if counter_id]


def _device_change(session: Session, device: Device) -> tuple[str | None, ...]:
    """The counters whose devices' answers a write of ``device`` may change: paired, moved,
    revoked or deleted (both counters, when moved), or seen after its presence had lapsed."""
    if device.kind not in _PRESENCE:
        return ()
    if device in session.new or device in session.deleted:
        return (device.counter_id,)
    state = inspect(device)
    changed = {
        attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.deleted
    }
    if changed - _SIGHTING:
        history = state.attrs.counter_id.history
        return (*history.deleted, *history.added, device.counter_id)
    seen = state.attrs.last_seen_at.history
    if not seen.added:
        return ()
    before, now = (seen.deleted or [None])[0], seen.added[0]
    if before is not None and now is not None and _lapse(before, now) < _PRESENCE[device.kind]:
        return ()  # seen while still present: nothing any answer shows has changed
    return (device.counter_id,)


def _lapse(before: dt.datetime, now: dt.datetime) -> float:
    if (before.tzinfo is None) != (now.tzinfo is None):  # SQLite hands back naive UTC
        before, now = before.replace(tzinfo=None), now.replace(tzinfo=None)
    return (now - before).total_seconds()


def _device_counter(session: Session, device_id: str) -> str | None:
    """The counter of a device: from the identity map (the agent link loads it to mark it
    seen), else one statement (an agent's connect or disconnect: rare)."""
    device = session.identity_map.get(identity_key(Device, device_id))
    if isinstance(device, Device):
        return device.counter_id
    with session.no_autoflush:
        return session.scalar(select(Device.counter_id).where(Device.id == device_id))


def _wake(session: Session, keys: list[str]) -> None:
    woken: set[str] = session.info.setdefault("woken_counters", set())
    for key in keys:
        if key not in woken:
            woken.add(key)
            notifier.publish(session, key)


@event.listens_for(Session, "before_flush")
def _wake_counters(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        _wake(session, _keys_of(session, row))


@event.listens_for(Session, "do_orm_execute")
def _wake_on_disconnect(state: ORMExecuteState) -> None:
    """An agent's connection ends with a bulk DELETE of its ``AgentLink`` row (by device id):
    publish its counter, as its insert does in ``before_flush``."""
    if not state.is_delete or state.bind_mapper is None:
        return
    if state.bind_mapper.class_ is not AgentLink:
        return
    for device_id in _compared_values(state.statement, AgentLink.__table__.c.device_id):
        _wake(state.session, _each(devices_key, (_device_counter(state.session, device_id),)))


def _compared_values(statement: Any, column: Any) -> list[str]:
    """The values ``column == value`` compares with in the statement's WHERE."""
    where = getattr(statement, "whereclause", None)
    if where is None:
        return []
    values = []
    for element in visitors.iterate(where):
        if (
            isinstance(element, BinaryExpression)
            and isinstance(element.left, ColumnElement)
            and element.left.shares_lineage(column)  # the ORM's annotated copy of it
            and isinstance(element.right, BindParameter)
            and isinstance(element.right.effective_value, str)
        ):
            values.append(element.right.effective_value)
    return values


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: the next one wakes afresh
        session.info.pop("woken_counters", None)
