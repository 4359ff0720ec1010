"""The tenant's core 住民記録 system, as the staff console sees it.

Where it is: ``MADOGUCHI_CORE_URL`` (default: the simulator of ``make run``) and
``MADOGUCHI_CORE_TIMEOUT_SECONDS`` (default 3): read here rather than in ``Settings`` so
the core adapter stays optional; the lead may move them into ``backend/settings.py``.
Adapter errors become ``ServiceUnavailable`` with the adapter's stable code, and
``manual_entry: true`` tells the console to carry on with typed data.
"""

from __future__ import annotations

import os

from backend.errors import MadoguchiError, NotFound, ServiceUnavailable
from integrations.core import CoreNotFound, CoreSystem, CoreSystemError
from integrations.core.http import HttpCoreSystem

DEFAULT_CORE_URL = "http://127.0.0.1:8790"


def core_url() -> str:
    return os.environ.get("MADOGUCHI_CORE_URL", DEFAULT_CORE_URL)


def get_core_system() -> CoreSystem:
    """A FastAPI dependency (tests override it)."""
    timeout = float(os.environ.get("MADOGUCHI_CORE_TIMEOUT_SECONDS", "3"))
    return HttpCoreSystem(core_url(), timeout)


def as_api_error(error: CoreSystemError) -> MadoguchiError:
    if isinstance(error, CoreNotFound):
        return NotFound(error.message, code=error.code, manual_entry=True)
    return ServiceUnavailable(error.message, code=error.code, manual_entry=True)
