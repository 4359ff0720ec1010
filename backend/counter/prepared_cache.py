"""The visit's record, guidance and forms, built once per state of the visit, not per request.

The staff console asks for the guidance and the form list after every change, the tablet polls
what it shows every second, and a preview, the confirmation, the signature and the hand-off
each need the same three things: without a cache the record and the guidance were rebuilt
about twenty times a visit. The key is everything they are built from:

- the visit row by its content: a digest of every column but its status and time stamps (so
  sending it to the tablet, signing or closing it, which change only those, keep the entry:
  the record, the guidance and the forms do not depend on them; a column added later is in
  the digest unless named in ``NOT_CONTENT``);
- each member row by ``updated_at`` (every ORM write stamps it, and a rolled-back write leaves
  the stored stamp as it was, so its entry is simply never asked for);
- the tenant (code, name, time zone: by its ``updated_at``) and the filing date that applies
  (today in the tenant's time zone when none was given);
- the active guidance catalog (its digest) and the form layouts on disk (their folders' mtimes).

The tenant's part of the key (its row, its active catalog, its active layouts) is read in ONE
statement per request (``tenant_state``): three before, on every request that prepares a visit.
The tablet's poll reads it within the statement of its ETag (``tablet._version_statement``),
and ``remember_tenant_state`` makes the same key of it.

A visit with unflushed changes in the session bypasses the cache. Entries live in this
process's memory, bounded and for at most 15 minutes (they hold personal data); another replica
builds the same values, so nothing depends on which process answers.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from sqlalchemy import Select, String, and_, bindparam, inspect, select
from sqlalchemy.orm import Session

from backend.counter import service as visits
from backend.counter.models import Visit
from backend.guidance.models import CatalogVersion
from backend.identity.tenants.models import Tenant
from backend.layouts.models import FormLayoutVersion
from backend.platform import request_memo
from forms.layout import layout_dirs

T = TypeVar("T")

CACHE_SIZE = 256
CACHE_SECONDS = 15 * 60.0

# What the record, the guidance and the forms are never built from (``build_prepared``).
NOT_CONTENT = frozenset({"status", "created_at", "updated_at", "closed_at"})
_CONTENT_COLUMNS = tuple(
    attr.key for attr in inspect(Visit).column_attrs if attr.key not in NOT_CONTENT
)

_entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
_lock = threading.Lock()


def visit_state(session: Session, visit: Visit) -> Hashable | None:
    """What the visit's record, guidance and forms are built from; None: do not cache."""
    if visit in session.dirty or any(m in session.dirty or m in session.new for m in visit.members):
        return None
    tenant = tenant_state(session, visit.tenant_id)
    if tenant is None:
        return None
    timezone, stamp = tenant
    return (
        visit.id,
        visit_content(visit),
        tuple((member.id, member.updated_at) for member in visit.members),
        visit.filed_on or visits.local_today_in(timezone),
        stamp,
        layouts_state(),
    )


def visit_content(visit: Visit) -> str:
    """A digest of the visit's own columns but ``NOT_CONTENT`` (a digest: the key holds no
    personal data)."""
    values = {name: getattr(visit, name) for name in _CONTENT_COLUMNS}
    canonical = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def tenant_state(session: Session, tenant_id: str) -> tuple[str, Hashable] | None:
    """The tenant's time zone, and what of the tenant a visit's preparation depends on: its row
    (by ``updated_at``), its active catalog (number and digest: the same as
    ``guidance.service.active_catalog``'s) and its active layouts (form, version id, digest: the
    same as ``layouts.service.active_versions``'s), in one statement (one row per active
    layout, at least one). None when there is no such tenant.

    Read once per unit of work (``request_memo``): the tablet's view asks for its ETag, then
    again to prepare the visit it shows."""
    remembered = request_memo.recall(session, ("tenant_state", tenant_id))
    if remembered is not request_memo.MISSING:
        return remembered
    found = _read_tenant_state(session, tenant_id)
    request_memo.remember(session, ("tenant_state", tenant_id), found)
    return found


def _read_tenant_state(session: Session, tenant_id: str) -> tuple[str, Hashable] | None:
    rows = session.execute(
        _tenant_state_query(),
        {"tenant_id": tenant_id},
        # Filtered by tenant_id: the session's tenant criteria would only repeat it (and,
        # added to the statement built once, make its cache key again at each execution).
        execution_options={"unscoped": True},
    ).all()
    if not rows:
        return None
    tenant, number, digest, catalog_id = rows[0][:4]
    # The guidance and the forms read these again in this request: one statement for all.
    return remember_tenant_state(
        session,
        tenant_id,
        tenant.timezone,
        tenant.updated_at,
        (catalog_id, number, digest) if catalog_id is not None else None,
        [(r[4], r[5], r[6]) for r in rows if r[4] is not None],
    )


@functools.cache
def _tenant_state_query() -> Select[Tenant, int, str, str, str, str, str]:
    """``_read_tenant_state``'s statement, built once (the tenant bound at each execution):
    the tenant's row with its active catalog and each active layout."""
    catalog = and_(CatalogVersion.tenant_id == Tenant.id, CatalogVersion.active.is_(True))
    layout = and_(FormLayoutVersion.tenant_id == Tenant.id, FormLayoutVersion.active.is_(True))
    return (
        select(
            Tenant,  # the row itself: build_record's session.get(Tenant) then reads no more
            CatalogVersion.number,
            CatalogVersion.digest,
            CatalogVersion.id,
            FormLayoutVersion.form,
            FormLayoutVersion.id,
            FormLayoutVersion.digest,
        )
        .select_from(Tenant)
        .outerjoin(CatalogVersion, catalog)
        .outerjoin(FormLayoutVersion, layout)
        .where(Tenant.id == bindparam("tenant_id", type_=String))
        .order_by(FormLayoutVersion.form, FormLayoutVersion.id)
    )


def remember_tenant_state(
    session: Session,
    tenant_id: str,
    timezone: str,
    updated_at: dt.datetime,
    catalog: tuple[str, int, str] | None,
    active_layouts: Iterable[tuple[str, str, str]],
) -> tuple[str, Hashable]:
    """``tenant_state`` from its parts, remembered for this unit of work with the active
    catalog (id, number, digest) and layouts (form, id, digest) the guidance and the forms
    read: what ``_read_tenant_state`` read, or the tablet's version statement (one key however
    it was read)."""
    layouts = tuple(sorted(active_layouts))
    number, digest = (catalog[1], catalog[2]) if catalog is not None else (None, None)
    state = timezone, (tenant_id, updated_at, number, digest or "default", layouts)
    request_memo.remember(session, ("active_catalog", tenant_id), catalog)
    request_memo.remember(session, ("active_layouts", tenant_id), layouts)
    request_memo.remember(session, ("tenant_state", tenant_id), state)
    return state


def layouts_state() -> tuple[tuple[str, int], ...]:
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
