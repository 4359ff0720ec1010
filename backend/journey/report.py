"""The report: live figures per event beside the baseline surveys' figures and the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant
from backend.journey.baseline import baseline_figures, list_surveys
from backend.journey.figures import EVENTS, event_label, rounded
from backend.journey.live import live_figures
from backend.platform.errors import NotFound

# Figures compared before/after: (name in "change", path in the live and baseline figures).
COMPARED = (
    ("wait_minutes_median", ("wait_minutes", "median")),
    ("wait_minutes_p90", ("wait_minutes", "p90")),
    ("service_minutes_median", ("service_minutes", "median")),
    ("counters_per_visit", ("counters_per_visit",)),
)


class TenantNotFound(NotFound):
    code = "tenant_not_found"
    default_message = "団体コードの自治体が見つかりません。"


def tenant_by_code(session: Session, code: str) -> Tenant:
    query = select(Tenant).where(Tenant.code == code).execution_options(unscoped=True)
    tenant = session.scalars(query).one_or_none()
    if tenant is None:
        raise TenantNotFound()
    return tenant


def _pick(figures: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = figures
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int | float) else None


def change(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """after − before for each compared figure, and the percentage (negative = shorter)."""
    out: dict[str, Any] = {}
    for name, path in COMPARED:
        old, new = _pick(before, path), _pick(after, path)
        if old is None or new is None:
            out[name] = None
            continue
        out[name] = {
            "difference": rounded(new - old),
            "percent": rounded((new - old) / old * 100) if old else None,
        }
    out["fields_handwritten_avoided_per_visit"] = before.get("fields_handwritten_per_visit")
    return out


def _event_order(event: str) -> tuple[int, str]:
    """転入 first, as the catalogs list the life events; unknown codes last."""
    return (EVENTS.index(event) if event in EVENTS else len(EVENTS), event)


def build_report(session: Session, tenant: Tenant, start: dt.date, end: dt.date) -> dict[str, Any]:
    session.info["tenant_id"] = tenant.id
    live = live_figures(session, tenant.id, start, end)
    baselines = baseline_figures(list_surveys(session, tenant.id))
    events: dict[str, Any] = {}
    for event in sorted(set(live["events"]) | set(baselines), key=_event_order):
        figures = live["events"].get(event) or {"visits": 0}
        entry = {"label_ja": event_label(event), "label_en": event_label(event, "en"), **figures}
        if event in baselines:
            entry["baseline"] = baselines[event]
            entry["change"] = change(baselines[event], figures)
        events[event] = entry
    return {
        "schema": "madoguchi.journey-report/1",
        "tenant": {"code": tenant.code, "name": tenant.name},
        "from": start.isoformat(),
        "to": end.isoformat(),
        "total": live["total"],
        "no_shows": live["no_shows"],
        "events": events,
        "hours": live["hours"],
        "days": live["days"],
        "counters": live["counters"],
        "percentiles": "linear interpolation between closest ranks (PERCENTILE.INC)",
    }
