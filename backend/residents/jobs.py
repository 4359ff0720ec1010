"""Worker jobs: delete expired pre-entries, mark reservations not checked in as no-shows."""

from __future__ import annotations

from backend.residents.preentry import purge_job
from backend.residents.reservations import no_show_job

JOBS = [purge_job, no_show_job]
