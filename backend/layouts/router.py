"""``/api/v1/forms/layouts``: a municipality's own layouts of its forms — list, upload, preview
(an invented household under 見本), activate, back to the built-in layout."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response

from backend.layouts import service, sharing
from backend.layouts.schemas import FormLayoutsRead, LayoutUpload, LayoutVersionRead
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.platform.errors import ValidationFailed
from forms.pdf import Rendered

router = APIRouter(prefix="/api/v1/forms/layouts", tags=["forms"])

LayoutAdmin = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]


@router.get("", response_model=list[FormLayoutsRead])
def list_layouts(principal: LayoutAdmin, session: SessionDep) -> list[FormLayoutsRead]:
    return [
        FormLayoutsRead(
            form=entry.form,
            title=entry.title,
            active=next((v.number for v in entry.versions if v.active), None),
            versions=[LayoutVersionRead.model_validate(v) for v in entry.versions],
        )
        for entry in service.listing(session, principal.tenant_id)
    ]


@router.post("/upload", response_model=LayoutVersionRead, status_code=201)
def upload_layout(
    body: LayoutUpload, principal: LayoutAdmin, session: SessionDep
) -> LayoutVersionRead:
    """A new inactive version; refused with every problem listed in ``error.issues``."""
    row = service.upload(
        session,
        principal.tenant_id,
        body.form,
        body.source,
        _decoded(body.background_base64),
        note=body.note,
        actor=principal.actor,
    )
    return LayoutVersionRead.model_validate(row)


def _decoded(data: str | None) -> bytes | None:
    if data is None:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("背景 PDF の送信形式（base64）が正しくありません。") from None


@router.get("/bundle", response_class=Response)
def export_bundle(principal: LayoutAdmin, session: SessionDep) -> Response:
    """共創: the active layouts as a signed file, to hand to another municipality."""
    data = sharing.export_bundle(session, principal.tenant_id, principal.actor)
    return Response(
        data,
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="layout-bundle.json"'},
    )


@router.post("/bundle/upload", response_model=list[LayoutVersionRead], status_code=201)
def import_bundle(
    principal: LayoutAdmin,
    session: SessionDep,
    bundle: Annotated[dict[str, Any], Body(description="the bundle file's JSON as exported")],
) -> list[LayoutVersionRead]:
    """Each layout of another municipality's bundle as a draft here (never activated)."""
    data = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
    created = sharing.import_bundle(session, principal.tenant_id, data, principal.actor)
    return [LayoutVersionRead.model_validate(row) for row in created]


@router.get("/{form}/preview", response_class=Response)
def preview_builtin(form: str, principal: LayoutAdmin, session: SessionDep) -> Response:
    return _pdf(service.preview(session, principal.tenant_id, form, None))


@router.get("/{form}/versions/{number}/preview", response_class=Response)
def preview_version(
    form: str, number: int, principal: LayoutAdmin, session: SessionDep
) -> Response:
    return _pdf(service.preview(session, principal.tenant_id, form, number))


@router.post("/{form}/versions/{number}/activate", response_model=LayoutVersionRead)
def activate(
    form: str, number: int, principal: LayoutAdmin, session: SessionDep
) -> LayoutVersionRead:
    row = service.activate(session, principal.tenant_id, form, number, actor=principal.actor)
    return LayoutVersionRead.model_validate(row)


@router.post("/{form}/builtin", status_code=204, response_class=Response)
def use_builtin(form: str, principal: LayoutAdmin, session: SessionDep) -> Response:
    service.use_builtin(session, principal.tenant_id, form, actor=principal.actor)
    return Response(status_code=204)


def _pdf(rendered: Rendered) -> Response:
    return Response(
        rendered.content,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="sample-{rendered.filename}"',
            "cache-control": "no-store",
        },
    )
