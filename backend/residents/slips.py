"""The ticket machine prints a QR slip for the resident: the municipality's pre-entry page
(手続きナビ, to fill in while waiting or at home), or the code of a pre-entry the resident has
just finished on the machine (the clerk scans it at the counter, as from a phone).

The slip carries no personal data: the page's address, or the pre-entry's one-use code, and a
few words in the resident's language (forms.receipt ``qr_slip``). It goes through the same
printer seam as the ticket (``backend.queue.printing``): paper out or no printer is an outcome
the machine shows, never an error, and the screen keeps showing the QR.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant
from backend.platform.access import Principal
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from backend.platform.settings import get_settings
from backend.queue.printing import QrSlipJob, get_ticket_printer, print_safely
from backend.queue.schemas import PrintResult
from backend.residents import preentry
from backend.residents.errors import ServiceOff
from backend.residents.service import settings_of

# The pre-entry page's own name for a language where it differs from the screens' (zh-Hans).
_PAGE_LANGUAGE = {"zh-Hans": "zh"}


def page_url(tenant: Tenant, lang: str = "ja") -> str:
    """The municipality's pre-entry page, opening in ``lang`` (the code after # is public)."""
    page_lang = _PAGE_LANGUAGE.get(lang, lang)
    query = "" if page_lang == "ja" else f"?lang={page_lang}"
    return f"{get_settings().public_url.rstrip('/')}/pre/{query}#{tenant.code}"


def print_qr_slip(
    session: Session, principal: Principal, tenant: Tenant, lang: str, code: str | None
) -> PrintResult:
    """Print the page's QR (no ``code``) or the pre-entry's (``code``: unused, not expired)."""
    if not settings_of(session, tenant.id).preentry_enabled:
        raise ServiceOff()
    if code is None:
        job = QrSlipJob("page", page_url(tenant, lang), lang, tenant.name)
    else:
        entry = preentry.usable(session, code, utcnow())
        job = QrSlipJob("preentry", entry.code, lang, tenant.name)
    outcome = print_safely(get_ticket_printer(), principal.device, job)
    audit.record(
        session,
        tenant_id=tenant.id,
        action="preentry.slip_printed",
        actor=principal.actor,
        detail={"kind": job.kind, "lang": lang, "status": outcome.status.value},
    )
    status = outcome.status.value
    return PrintResult(status=status, printed=outcome.printed, message=outcome.message)
