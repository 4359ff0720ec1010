"""``/api/v1/audit``: the tenant's audit trail for its auditors (download, chain check)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from backend.platform import access
from backend.platform.access import Permission, Principal, require
from backend.platform.audit.service import events, export_csv, export_jsonl, record, verify_chain
from backend.platform.deps import SessionDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


class ChainStatus(BaseModel):
    ok: bool
    events: int
    broken_seq: int | None = None
    reason: str | None = None


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
            "description": "the chain in seq order, with hashes to re-verify it offline",
        }
    },
)
def export_audit_trail(
    principal: Auditor,
    session: SessionDep,
    format: Annotated[Literal["jsonl", "csv"], Query()] = "jsonl",
) -> Response:
    # The export is itself audited, before reading, so that it appears in what it exports.
    record(
        session,
        tenant_id=principal.tenant_id,
        action="audit.exported",
        actor=principal.actor,
        device=principal.device.id if principal.device else None,
        detail={"format": format},
    )
    writer = export_jsonl if format == "jsonl" else export_csv
    body = "".join(writer(events(session, principal.tenant_id)))
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    filename = f"audit-{access.tenant_code(session, principal.tenant_id) or 'tenant'}.{format}"
    return Response(
        content=body,
        media_type=f"{media}; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/verify", response_model=ChainStatus)
def verify_audit_trail(principal: Auditor, session: SessionDep) -> ChainStatus:
    checked, chain_break = verify_chain(events(session, principal.tenant_id))
    if chain_break is None:
        return ChainStatus(ok=True, events=checked)
    return ChainStatus(
        ok=False, events=checked, broken_seq=chain_break.seq, reason=chain_break.reason
    )
