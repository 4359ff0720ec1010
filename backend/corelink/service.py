"""The tenant's core 住民記録 system, as the staff console sees it.

Where it is: ``MADOGUCHI_CORE_URL`` (default: the simulator of ``make run``) and
``MADOGUCHI_CORE_TIMEOUT_SECONDS`` (default 3), in ``backend/platform/settings.py``.
Adapter errors become ``ServiceUnavailable`` with the adapter's stable code, and
``manual_entry: true`` tells the console to carry on with typed data.
"""

from __future__ import annotations

from backend.platform.errors import MadoguchiError, NotFound, ServiceUnavailable
from backend.platform.settings import get_settings
from integrations.core import CoreNotFound, CoreSystem, CoreSystemError
from integrations.core.http import HttpCoreSystem


def core_url() -> str:
    return get_settings().core_url


def get_core_system() -> CoreSystem:
    """A FastAPI dependency (tests override it)."""
    return HttpCoreSystem(core_url(), get_settings().core_timeout_seconds)


def core_configured() -> bool:
    """An empty ``MADOGUCHI_CORE_URL``: this deployment has no core system to ask."""
    return bool(core_url().strip())


def as_api_error(error: CoreSystemError) -> MadoguchiError:
    if isinstance(error, CoreNotFound):
        return NotFound(error.message, code=error.code, manual_entry=True)
    return ServiceUnavailable(error.message, code=error.code, manual_entry=True)
