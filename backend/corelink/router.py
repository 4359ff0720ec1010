"""``/api/v1/core``: look up a resident in the core system to prefill; 転出証明書情報."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ValidationError

from backend.corelink import counter
from backend.corelink.service import as_api_error, core_configured, get_core_system
from backend.platform import uow
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.platform.errors import ValidationFailed
from integrations.core import (
    CoreResident,
    CoreSystem,
    CoreSystemError,
    MovingOutCertificate,
    ResidentQuery,
)
from integrations.core.models import ResidentCode

router = APIRouter(prefix="/api/v1/core", tags=["core"])

Clerk = Annotated[Principal, Depends(require(Permission.CORE_LOOKUP))]
Core = Annotated[CoreSystem, Depends(get_core_system)]


def get_configured_core(core: Core) -> CoreSystem | None:
    return core if core_configured() else None


ConfiguredCore = Annotated[CoreSystem | None, Depends(get_configured_core)]


class LookupResponse(BaseModel):
    residents: list[CoreResident]


class MovingOutRequest(BaseModel):
    resident_code: ResidentCode


@contextmanager
def _audited_core_call(
    session: SessionDep, principal: Principal, action: str, detail: dict[str, str]
) -> Iterator[None]:
    """A call to the core system: its failure becomes an API error, and it is audited either
    way (a failed call's event survives the request's rollback: ``uow.audit_attempt``)."""
    with uow.audit_attempt(
        session, tenant_id=principal.tenant_id, action=action, actor=principal.actor, detail=detail
    ):
        try:
            yield
        except CoreSystemError as exc:
            raise as_api_error(exc) from exc


def _lookup(
    query: ResidentQuery, principal: Principal, session: SessionDep, core: CoreSystem
) -> LookupResponse:
    by = "resident_code" if query.resident_code else "attributes"
    with _audited_core_call(session, principal, "core.lookup", {"by": by}):
        residents = core.lookup(query)
    return LookupResponse(residents=residents)


@router.post("/lookup", response_model=LookupResponse)
def lookup(
    query: ResidentQuery, principal: Clerk, session: SessionDep, core: Core
) -> LookupResponse:
    """By 住民票コード, or by 氏名 + 生年月日 + 住所. 503 core_timeout / core_unavailable: the
    core system is not answering; continue with manual entry."""
    return _lookup(query, principal, session, core)


@router.get("/lookup", response_model=LookupResponse, deprecated=True)
def lookup_get(
    principal: Clerk,
    session: SessionDep,
    core: Core,
    resident_code: str | None = Query(None),
    name: str | None = Query(None),
    birth_date: dt.date | None = Query(None),
    address: str | None = Query(None),
) -> LookupResponse:
    """Kept for older clients: use ``POST /api/v1/core/lookup``. A query string is personal
    data in every proxy's and browser's history; madoguchi's own logs record the path only."""
    try:
        query = ResidentQuery(
            resident_code=resident_code, name=name, birth_date=birth_date, address=address
        )
    except ValidationError as exc:
        raise ValidationFailed(
            "住民票コード、または氏名・生年月日・住所のすべてを入力してください。"
        ) from exc
    return _lookup(query, principal, session, core)


@router.post("/moving-out-certificate", response_model=MovingOutCertificate)
def moving_out_certificate(
    body: MovingOutRequest, principal: Clerk, session: SessionDep, core: Core
) -> MovingOutCertificate:
    """転出証明書情報 for a 特例転入 (the resident moved out online, via マイナポータル)."""
    with _audited_core_call(session, principal, "core.moving_out_certificate", {}):
        certificate = core.moving_out_certificate(body.resident_code)
    return certificate


@router.post("/visits/{visit_id}/match", response_model=counter.CoreMatch)
def match_visit(
    visit_id: str, principal: Clerk, session: SessionDep, core: ConfiguredCore
) -> counter.CoreMatch:
    """After a card read: look the card's members up in the core system, fill what the card
    lacks (marked ``core``) and list where card and core differ. Without a core system, or
    when it does not answer, nothing changes and ``status``/``notice`` say so (not an error)."""
    return counter.match_card_members(session, principal, visit_id, core)
