"""Tenant look-ups other packages need, without reading the tenant table themselves."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant


def tenant_code(session: Session, tenant_id: str) -> str | None:
    """The tenant's 団体コード, None when there is no such tenant."""
    tenant = session.get(Tenant, tenant_id)
    return tenant.code if tenant else None
