"""Anchors: the head of each tenant's audit chain, signed and written outside the database.

The hash chain (``service.py``) finds an event changed in place, but not a chain rewritten by
someone who can bypass the append-only triggers (``session_replication_role=replica``, a
dropped trigger): deleting the newest events, or editing one and recomputing every later hash
with the project's own digest, leaves a chain that verifies. An anchor is a line

    {"tenant_id": …, "seq": …, "hash": …, "at": …, "sig": HMAC-SHA256(key, the rest)}

appended to ``MADOGUCHI_AUDIT_ANCHOR_FILE`` (JSON Lines, append-only; the operator ships it
off the machine, e.g. to a WORM store or their log collector) by the worker every
``MADOGUCHI_AUDIT_ANCHOR_EVERY_SECONDS`` (when the head moved) and by ``madoguchi audit
anchor``. The key ``MADOGUCHI_AUDIT_ANCHOR_KEY`` lives in the worker's and the operator's
environment only, never in the database, so whoever rewrites the table cannot forge anchors.
``madoguchi audit verify --anchors FILE`` then finds a chain shorter than an anchor
(truncation) and a hash at an anchored seq that differs (recomputation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.platform.audit.models import AuditEvent
from backend.platform.db import session_scope, utcnow
from backend.platform.settings import get_settings

log = logging.getLogger(__name__)

SIGNED_FIELDS = ("tenant_id", "seq", "hash", "at")


class AnchorError(Exception):
    """The anchors cannot be written or read (no key, no file, unreadable file)."""


@dataclass(frozen=True)
class Anchor:
    tenant_id: str
    seq: int
    hash: str
    at: str

    def fields(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "seq": self.seq, "hash": self.hash, "at": self.at}


@dataclass(frozen=True)
class BadAnchor:
    line: int
    reason: str


def _key(key: str | None) -> bytes:
    value = get_settings().audit_anchor_key if key is None else key
    if not value:
        raise AnchorError("MADOGUCHI_AUDIT_ANCHOR_KEY が未設定です (the anchor key is not set)")
    return value.encode("utf-8")


def sign(anchor: Anchor, key: bytes) -> str:
    canonical = json.dumps(anchor.fields(), sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def heads(session: Session) -> list[Anchor]:
    """The newest event of every tenant's chain, as an (unsigned) anchor dated now."""
    newest = (
        select(AuditEvent.tenant_id, func.max(AuditEvent.seq).label("seq"))
        .group_by(AuditEvent.tenant_id)
        .execution_options(unscoped=True)
        .subquery()
    )
    rows = session.execute(
        select(AuditEvent.tenant_id, AuditEvent.seq, AuditEvent.hash)
        .join(
            newest,
            (AuditEvent.tenant_id == newest.c.tenant_id) & (AuditEvent.seq == newest.c.seq),
        )
        .order_by(AuditEvent.tenant_id)
        .execution_options(unscoped=True)
    ).all()
    at = utcnow().isoformat()
    return [Anchor(tenant_id, seq, digest, at) for tenant_id, seq, digest in rows]


def write(anchors: Iterable[Anchor], path: Path | str | None = None, key: str | None = None) -> int:
    """Append signed anchors to the file (created if missing); returns how many."""
    secret = _key(key)
    target = Path(path) if path is not None else _anchor_file()
    lines = [
        json.dumps({**a.fields(), "sig": sign(a, secret)}, sort_keys=True) + "\n" for a in anchors
    ]
    if not lines:
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, "".join(lines).encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return len(lines)


def _anchor_file() -> Path:
    value = get_settings().audit_anchor_file
    if not value:
        raise AnchorError(
            "MADOGUCHI_AUDIT_ANCHOR_FILE が未設定です (where to write anchors is not set)"
        )
    return Path(value)


def read(path: Path | str, key: str | None = None) -> tuple[list[Anchor], list[BadAnchor]]:
    """Every anchor of the file whose signature holds, and every line that does not."""
    secret = _key(key)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(f"{path}: cannot read the anchor file ({type(exc).__name__})") from exc
    good: list[Anchor] = []
    bad: list[BadAnchor] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor(
                str(data["tenant_id"]), int(data["seq"]), str(data["hash"]), str(data["at"])
            )
            signature = str(data["sig"])
        except (ValueError, KeyError, TypeError):
            bad.append(BadAnchor(number, "not an anchor line"))
            continue
        if not hmac.compare_digest(sign(anchor, secret), signature):
            bad.append(BadAnchor(number, "signature does not match (forged, or another key)"))
            continue
        good.append(anchor)
    return good, bad


def check(session: Session, tenant_id: str, anchors: Iterable[Anchor]) -> str | None:
    """The first way the tenant's chain contradicts its anchors, as one line; None if none.

    Truncation: the chain ends before an anchored seq. Recomputation: the event at an anchored
    seq has another hash than the anchor recorded.
    """
    mine = sorted((a for a in anchors if a.tenant_id == tenant_id), key=lambda a: a.seq)
    if not mine:
        return None
    last = session.scalar(
        select(func.max(AuditEvent.seq))
        .where(AuditEvent.tenant_id == tenant_id)
        .execution_options(unscoped=True)
    )
    last = int(last or 0)
    hashes = dict(
        session.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.tenant_id == tenant_id, AuditEvent.seq.in_({a.seq for a in mine}))
            .execution_options(unscoped=True)
        ).all()
    )
    for anchor in mine:
        if anchor.seq > last:
            return (
                f"truncated: the chain ends at seq {last} but seq {anchor.seq} was anchored "
                f"at {anchor.at}"
            )
        found = hashes.get(anchor.seq)
        if found is None:
            return f"seq {anchor.seq} (anchored at {anchor.at}) is missing"
        if found != anchor.hash:
            return (
                f"rewritten: the hash at seq {anchor.seq} differs from the anchor of "
                f"{anchor.at} (events edited and hashes recomputed)"
            )
    return None


def anchor_now(path: Path | str | None = None, key: str | None = None) -> list[Anchor]:
    """Write the head of every chain now (``madoguchi audit anchor``)."""
    with session_scope(unscoped=True) as session:
        current = heads(session)
    write(current, path, key)
    return current


# --- the worker's job ------------------------------------------------------------------------

_last_run = 0.0
_last_written: dict[str, tuple[int, str]] = {}


def anchor_job() -> int:
    """Every few minutes, anchor each chain whose head moved; silent when not configured."""
    global _last_run
    settings = get_settings()
    if not (settings.audit_anchor_key and settings.audit_anchor_file):
        return 0
    if time.monotonic() - _last_run < settings.audit_anchor_every_seconds:
        return 0
    _last_run = time.monotonic()
    try:
        with session_scope(unscoped=True) as session:
            moved = [a for a in heads(session) if _last_written.get(a.tenant_id) != (a.seq, a.hash)]
        write(moved)
    except (AnchorError, OSError) as exc:
        log.error("audit anchor not written: %s", exc)
        return 0
    for anchor in moved:
        _last_written[anchor.tenant_id] = (anchor.seq, anchor.hash)
    return 0  # housekeeping never keeps the worker from sleeping


JOBS = [anchor_job]
