"""The visit's record, guidance and forms, built once per state of the visit, not per request.

The staff console asks for the guidance and the form list after every change, the tablet polls
what it shows every second, and a preview, the confirmation, the signature and the hand-off
each need the same three things: without a cache the record and the guidance were rebuilt
about twenty times a visit. The key is everything they are built from:

- the visit row and each member row, by ``updated_at`` (every ORM write stamps it, and a
  rolled-back write leaves the stored stamp as it was, so its entry is simply never asked for);
- the tenant (code, name, time zone: by its ``updated_at``) and the filing date that applies
  (today in the tenant's time zone when none was given);
- the active guidance catalog (its digest) and the form layouts on disk (their folders' mtimes).

A visit with unflushed changes in the session bypasses the cache. Entries live in this
process's memory, bounded and for at most 15 minutes (they hold personal data); another replica
builds the same values, so nothing depends on which process answers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.counter.models import Visit
from backend.guidance import service as guidance_service
from backend.identity.tenants.models import Tenant
from backend.layouts import service as layouts
from forms.layout import layout_dirs

T = TypeVar("T")

CACHE_SIZE = 256
CACHE_SECONDS = 15 * 60.0

_entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
_lock = threading.Lock()


def visit_state(session: Session, visit: Visit) -> Hashable | None:
    """What the visit's record, guidance and forms are built from; None: do not cache."""
    if visit in session.dirty or any(m in session.dirty or m in session.new for m in visit.members):
        return None
    tenant = session.get(Tenant, visit.tenant_id)
    if tenant is None:
        return None
    number, catalog = guidance_service.active_catalog(session)
    return (
        visit.id,
        visit.updated_at,
        tuple((member.id, member.updated_at) for member in visit.members),
        tenant.id,
        tenant.updated_at,
        visit.filed_on or visits.local_today(tenant),
        number,
        catalog.digest,
        _layouts_state(),
        layouts.active_versions(session, tenant.id),
    )


def _layouts_state() -> tuple[tuple[str, int], ...]:
    """A layout added or removed changes its folder's mtime (edits are caught by load_layout)."""
    state = []
    for directory in layout_dirs():
        try:
            state.append((str(directory), directory.stat().st_mtime_ns))
        except OSError:
            state.append((str(directory), -1))
    return tuple(state)


def cached(key: Hashable | None, build: Callable[[], T]) -> T:
    """The value cached under ``key``, else ``build()`` (stored unless key is None)."""
    if key is None:
        return build()
    now = time.monotonic()
    with _lock:
        found = _entries.get(key)
        if found is not None and found[0] >= now:
            _entries.move_to_end(key)
            return found[1]  # type: ignore[return-value]
    value = build()
    with _lock:
        _entries[key] = (now + CACHE_SECONDS, value)
        _entries.move_to_end(key)
        while len(_entries) > CACHE_SIZE:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
