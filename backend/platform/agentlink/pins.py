"""Custody of a card read's PIN between the tablet's request and the agent's job.

Every replica reaches it: the PIN is sealed into ``agent_pins`` in the transaction that queues
the job, read by whichever replica holds the agent's connection, and deleted when the job ends
(done or failed) or its lifetime passes. Never logged, never in a job's params, never in clear
in the database; the seal names the job and the expiry, so a sealed PIN cannot be moved to
another job nor revived after its lifetime (say, from a backup).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.platform.agentlink.models import AgentPin
from backend.platform.crypto import DecryptionFailed, get_keyring
from backend.platform.db import utcnow

PIN_TTL_SECONDS = 120.0  # the resident typed it; the agent reads the card within seconds
PURGE_EVERY_SECONDS = 10.0  # expired PINs are deleted at most this often per process


def _context(job_id: str, expires_at: dt.datetime) -> bytes:
    stamp = expires_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")
    return f"agent-pin/{job_id}/{stamp}".encode("ascii")


class _Purges:
    """When this process last deleted the expired PINs (monotonic seconds; 0: never)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0

    def due(self) -> bool:
        """Whether a purge is due now (and, if so, counted as done from now)."""
        now = time.monotonic()
        with self._lock:
            if self._last and now - self._last < PURGE_EVERY_SECONDS:
                return False
            self._last = now
            return True

    def reset(self) -> None:
        with self._lock:
            self._last = 0.0


_purges = _Purges()


def purge_expired(session: Session, *, force: bool = False) -> None:
    """Delete every PIN past its lifetime, at most every ``PURGE_EVERY_SECONDS`` in this process
    (asked on each PIN taken in, and each dispatch): a sealed PIN does not outlive its lifetime
    by more than seconds, in the table or in a backup taken later. (An expired PIN is never
    used meanwhile: ``unseal`` checks the expiry its seal names.)"""
    if force or _purges.due():
        session.execute(delete(AgentPin).where(AgentPin.expires_at <= utcnow()))


def put(session: Session, job_id: str, pin: str, *, ttl: float = PIN_TTL_SECONDS) -> None:
    """Seal ``pin`` for ``job_id`` (a job waiting for its PIN, so it has none yet); expired PINs
    of any job are deleted on the way."""
    purge_expired(session)
    now = utcnow()
    expires_at = (now + dt.timedelta(seconds=ttl)).replace(microsecond=0)
    sealed = get_keyring().encrypt(pin, context=_context(job_id, expires_at))
    session.add(AgentPin(job_id=job_id, sealed=sealed, expires_at=expires_at))
    session.flush()


def peek(session: Session, job_id: str) -> str | None:
    """The job's PIN, or None when there is none, it has expired or it cannot be unsealed."""
    return unseal(session, job_id, session.get(AgentPin, job_id))


def unseal(session: Session, job_id: str, row: AgentPin | None) -> str | None:
    """``peek`` with the job's row already read (None: it has none)."""
    if row is None:
        return None
    if row.expires_at <= utcnow():
        drop(session, job_id)
        return None
    try:
        return get_keyring().decrypt(row.sealed, context=_context(job_id, row.expires_at))
    except DecryptionFailed:  # another key, or a row moved from another job: no PIN
        drop(session, job_id)
        return None


def drop(session: Session, job_id: str) -> None:
    session.execute(delete(AgentPin).where(AgentPin.job_id == job_id))


def held(session: Session) -> int:
    """How many PINs are in custody (tests, diagnostics)."""
    return int(session.scalar(select(func.count()).select_from(AgentPin)) or 0)
