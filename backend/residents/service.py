"""What pre-entry and reservations share: the municipality's switches, the public tenant
lookup, the 12-digit guard, the rate limit for public writes, QR codes and labels."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import qrcode
import qrcode.image.svg
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.guidance.translations import translate
from backend.identity.tenants.models import Tenant
from backend.identity.throttle import FailureWindow
from backend.platform.db import set_session_tenant
from backend.residents.errors import NumberRefused, ServiceOff, TooManyRequests
from backend.residents.models import ResidentServiceSettings
from backend.residents.schemas import Choice, ServiceSettings
from backend.schemas_api.lists import CERTIFICATE_LABELS, EVENT_LABELS

Service = Literal["preentry", "reservations"]

# Public writes per client address: a family makes a few; a script making hundreds is refused.
public_writes = FailureWindow("resident", limit=30, window=3600.0)

_TWELVE_DIGITS = re.compile(r"(?:\d[\s\-‐－]?){11}\d")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def settings_of(session: Session, tenant_id: str) -> ResidentServiceSettings:
    """The municipality's switches (a default row, not stored, when it never saved any)."""
    row = session.scalars(
        select(ResidentServiceSettings).where(ResidentServiceSettings.tenant_id == tenant_id)
    ).one_or_none()
    if row is not None:
        return row
    defaults = ServiceSettings()
    return ResidentServiceSettings(tenant_id=tenant_id, **defaults.model_dump())


def save_settings(session: Session, tenant_id: str, values: ServiceSettings) -> ServiceSettings:
    row = settings_of(session, tenant_id)
    for key, value in values.model_dump().items():
        setattr(row, key, value)
    if row not in session:
        session.add(row)
    session.flush()
    return ServiceSettings.model_validate(row)


def public_tenant(session: Session, tenant_code: str, service: Service) -> Tenant:
    """The municipality of a public page, the session scoped to it; refused when it has not
    turned ``service`` on (the same answer as an unknown code: nothing to probe)."""
    tenant = session.scalars(select(Tenant).where(Tenant.code == tenant_code)).one_or_none()
    if tenant is None:
        raise ServiceOff()
    set_session_tenant(session, tenant.id)
    switches = settings_of(session, tenant.id)
    enabled = switches.preentry_enabled if service == "preentry" else switches.reservations_enabled
    if not enabled:
        raise ServiceOff()
    return tenant


def count_public_write(session: Session, address: str) -> None:
    """One more public write from ``address`` (kept even if the request fails)."""
    if public_writes.blocked(session, address):
        raise TooManyRequests()
    public_writes.fail(session, address)


def refuse_twelve_digits(value: Any) -> None:
    """A resident never needs to send a 12-digit number: one that might be a 個人番号 is
    refused wherever it is, before anything is stored (the number is never echoed)."""
    if isinstance(value, str):
        if _TWELVE_DIGITS.search(value.translate(_FULL_WIDTH_DIGITS)):
            raise NumberRefused()
    elif isinstance(value, Mapping):
        for key, item in value.items():
            refuse_twelve_digits(str(key))
            refuse_twelve_digits(item)
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_twelve_digits(item)


def qr_svg(text: str) -> str:
    """A QR code as SVG markup (the same maker as the ticket's phone-page QR)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return bytes(image.to_string()).decode("utf-8")


_LIST_LANG = {"zh": "zh-Hans"}


def _label(labels: Mapping[str, str], lang: str) -> str:
    return labels.get(_LIST_LANG.get(lang, lang)) or labels.get("en") or labels["ja"]


def event_label(event: str, lang: str) -> str:
    labels = EVENT_LABELS.get(event, {"ja": event})
    return translate(lang, "event", event, default=_label(labels, lang))


def event_choices(lang: str) -> list[Choice]:
    return [
        Choice(value=code, label=event_label(code, lang), label_ja=labels["ja"])
        for code, labels in EVENT_LABELS.items()
    ]


def certificate_choices(lang: str) -> list[Choice]:
    return [
        Choice(value=code, label=_label(labels, lang), label_ja=labels["ja"])
        for code, labels in CERTIFICATE_LABELS.items()
    ]
