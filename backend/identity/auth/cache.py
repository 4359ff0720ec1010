"""Resolved credentials, per process: a known staff cookie or device token costs no SQL.

Why: every request authenticates, and that was one or two statements each (the session joined
to its account, or the device row and its last-seen write) — about 8 % of the server's CPU in a
busy office (issue 17). Here a token's SHA-256 (never the token) maps to an immutable snapshot
of what the request needs: a staff session's ``StaffRef``, CSRF token and ``last_seen_at``; a
device's ``DeviceRef`` and ``last_seen_at``. Never an ORM object: threads share the entries.

How long an entry is believed, and what ends it:

- Every change of a ``StaffAccount``, ``StaffSession`` or ``Device`` row through the ORM (log out,
  disable, password reset, role change, revoke, re-pair, a device moved or renamed) and the bulk
  end of an account's sessions (``invalidate``) drop the entries they concern in THIS process at
  once (at the flush, and again after the commit, so a read racing the transaction cannot keep
  the old state: a fill that saw any drop start meanwhile is not kept).
- Other processes: the same keys go out through ``backend.platform.notifier`` (PostgreSQL NOTIFY,
  delivered at commit); a process drops them on receipt — milliseconds. An entry is believed
  longer than ``SHORT_TTL`` (2 s) only while the listener connection that was up when it was
  filled still is: without a listener (not started, or reconnecting, when notifications may be
  lost) every entry is read again after 2 s. On SQLite (one process) the in-process drop is all.
- Changes no notification carries — SQL by hand; on SQLite, the ``madoguchi`` command run beside
  the server (another process, which SQLite's in-process notifier does not reach): ``LONG_TTL``
  (30 s) at most.
- The sliding writes stay as they were. A staff session whose ``last_seen_at`` is
  ``LAST_SEEN_STEP`` old takes the full path (read, write, refill), so its idle timeout is
  checked by the database as before. A device's ``last_seen_at`` is written every
  ``DEVICE_SEEN_STEP`` (2 s) by one UPDATE that also checks the token is still live, so a
  device in use notices its revocation within 2 s even without a notification.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from backend.identity.auth import service
from backend.identity.auth.tokens import hash_token
from backend.identity.devices import service as devices
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.staff.models import Role, StaffAccount, StaffSession
from backend.platform import notifier, uow
from backend.platform.access import DeviceRef, StaffRef
from backend.platform.db import utcnow

SHORT_TTL = 2.0  # seconds an entry is believed when notifications may not reach this process
LONG_TTL = 30.0  # seconds an entry is believed at most (changes made outside the application)
MAX_ENTRIES = 10_000  # then the cache starts afresh (about a thousand staff and devices a process)
KEY_PREFIX = "auth:"
# Device columns whose change does not concern authentication (its presence, written often).
_PRESENCE = frozenset({"last_seen_at", "updated_at"})


def staff_key(staff_id: str) -> str:
    return f"{KEY_PREFIX}staff:{staff_id}"


def session_key(session_id: str) -> str:
    return f"{KEY_PREFIX}session:{session_id}"


def device_key(device_id: str) -> str:
    return f"{KEY_PREFIX}device:{device_id}"


@dataclass(frozen=True)
class StaffEntry:
    staff: StaffRef
    csrf_token: str
    last_seen_at: dt.datetime


@dataclass(frozen=True)
class DeviceEntry:
    device: DeviceRef
    last_seen_at: dt.datetime | None


Entry = StaffEntry | DeviceEntry


@dataclass(frozen=True)
class _Slot:
    entry: Entry
    keys: frozenset[str]
    filled: float  # time.monotonic()
    connection: int | None  # the notifier connection up when filled (``listening``)


class CredentialCache:
    """Token hashes to snapshots, dropped by key; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._drops = 0  # counts every drop: a fill that raced one is not kept

    def get(self, token_hash: str, connection: int | None) -> Entry | None:
        """The entry of ``token_hash`` if it may still be believed (see the module's bounds)."""
        slot = self._slots.get(token_hash)
        if slot is None:
            return None
        age = time.monotonic() - slot.filled
        if age < SHORT_TTL or (
            connection is not None and slot.connection == connection and age < LONG_TTL
        ):
            return slot.entry
        return None

    def mark(self) -> int:
        """Call before reading what ``put`` will keep."""
        return self._drops

    def put(
        self, token_hash: str, entry: Entry, keys: Iterable[str], connection: int | None, mark: int
    ) -> None:
        slot = _Slot(entry, frozenset(keys), time.monotonic(), connection)
        with self._lock:
            if self._drops != mark:  # something changed while the entry was read: not kept
                return
            if len(self._slots) >= MAX_ENTRIES:
                self._slots.clear()
            self._slots[token_hash] = slot

    def drop(self, keys: Iterable[str]) -> None:
        wanted = frozenset(keys)
        with self._lock:
            self._drops += 1
            for token_hash in [h for h, slot in self._slots.items() if slot.keys & wanted]:
                del self._slots[token_hash]

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._drops += 1
            self._slots.pop(token_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._drops += 1
            self._slots.clear()

    def notified(self, key: str) -> None:
        """The notifier's subscriber: drop what an ``auth:`` key names."""
        if key.startswith(KEY_PREFIX):
            self.drop((key,))

    def __len__(self) -> int:
        return len(self._slots)


credentials = CredentialCache()
"""This process's cache (``configure`` subscribes it to the notifier)."""


def configure() -> None:
    """At application start: a fresh cache, fed by the notifier."""
    credentials.clear()
    notifier.notifier.subscribe(credentials.notified)


def _connection(session: Session) -> int | None:
    """What makes an entry believable past ``SHORT_TTL``: on SQLite (one process, every change
    dropped in it) always; on PostgreSQL the listener's connection, if it is up."""
    if session.get_bind().dialect.name == "sqlite":
        return 0
    return notifier.notifier.listening()


# --- the two look-ups -----------------------------------------------------------------------


def staff_of_token(
    session: Session, token: str, *, csrf_token: str | None, safe_method: bool
) -> StaffRef:
    """``service.resume`` for the access hook: the same checks, from the cache when it can."""
    token_hash = hash_token(token)
    connection = _connection(session)
    entry = credentials.get(token_hash, connection)
    if isinstance(entry, StaffEntry) and utcnow() - entry.last_seen_at < service.LAST_SEEN_STEP:
        service.check_csrf(entry.csrf_token, csrf_token=csrf_token, safe_method=safe_method)
        return entry.staff
    mark = credentials.mark()
    live = service.resume_live(session, token, csrf_token=csrf_token, safe_method=safe_method)
    r = live.resumed
    staff = StaffRef(
        r.staff_id, r.tenant_id, Role(r.role), r.username, r.display_name, r.session_id
    )
    keys = (staff_key(r.staff_id), session_key(r.session_id))
    credentials.put(
        token_hash, StaffEntry(staff, live.csrf_token, live.last_seen_at), keys, connection, mark
    )
    return staff


def device_of_token(session: Session, token: str) -> DeviceRef | None:
    """``devices.device_by_token`` for the access hook, from the cache when it can; a held
    device's last-seen write (every ``DEVICE_SEEN_STEP``) re-checks its token."""
    token_hash = hash_token(token)
    connection = _connection(session)
    entry = credentials.get(token_hash, connection)
    if isinstance(entry, DeviceEntry):
        now = utcnow()
        seen = entry.last_seen_at
        if seen is not None and now - seen < devices.DEVICE_SEEN_STEP:
            return entry.device
        mark = credentials.mark()
        if devices.touch_live(session, entry.device.id, token_hash, now):
            fresh = dataclasses.replace(entry, last_seen_at=now)
            credentials.put(token_hash, fresh, (device_key(entry.device.id),), connection, mark)
            return entry.device
        credentials.forget(token_hash)  # revoked, re-paired, or seen elsewhere: read it afresh
    mark = credentials.mark()
    device = devices.device_by_token(session, token)
    if device is None:
        return None
    ref = device_ref(device)
    keys = (device_key(device.id),)
    credentials.put(token_hash, DeviceEntry(ref, device.last_seen_at), keys, connection, mark)
    return ref


def device_ref(device: Device) -> DeviceRef:
    return DeviceRef(
        id=device.id,
        tenant_id=device.tenant_id,
        kind=DeviceKind(device.kind),
        name=device.name,
        office_id=device.office_id,
        counter_id=device.counter_id,
    )


# --- what ends an entry ---------------------------------------------------------------------


def invalidate(session: Session, keys: Iterable[str]) -> None:
    """Drop the entries ``keys`` name: here now and after the commit, elsewhere at the commit."""
    keys = frozenset(keys)
    credentials.drop(keys)
    for key in sorted(keys):
        notifier.publish(session, key)  # every process (this one too on SQLite) at the commit
    # At once after the commit: PostgreSQL's own notification comes back a moment later.
    uow.after_commit(session, lambda: credentials.drop(keys))


def _keys_of(session: Session, row: object) -> tuple[str, ...]:
    if isinstance(row, StaffAccount) and (row in session.deleted or session.is_modified(row)):
        return (staff_key(row.id),)
    if isinstance(row, StaffSession) and (row in session.deleted or session.is_modified(row)):
        return (session_key(row.id),)
    if isinstance(row, Device):
        state = inspect(row)
        if row in session.deleted or any(
            attr.history.has_changes() for attr in state.attrs if attr.key not in _PRESENCE
        ):
            return (device_key(row.id),)
    return ()


@event.listens_for(Session, "before_flush")
def _credentials_changed(session: Session, _context: Any, _instances: Any) -> None:
    keys = [key for row in (*session.dirty, *session.deleted) for key in _keys_of(session, row)]
    if keys:
        invalidate(session, keys)
