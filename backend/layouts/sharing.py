"""共創 for form layouts: a municipality's layout set (its active layouts, backgrounds included)
travels as a signed bundle file; another municipality imports it as drafts, never active.

Signed like the catalog bundles (``backend.platform.crypto``: this deployment's Ed25519 key,
the public key inside the bundle), so a file changed on the way is refused.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Final, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant
from backend.layouts import service
from backend.layouts.models import FormLayoutVersion
from backend.platform import crypto, safe_parse
from backend.platform.audit.service import record
from backend.platform.db import utcnow
from backend.platform.errors import ValidationFailed

BUNDLE_FORMAT: Final = "madoguchi.layout-bundle/1"
MAX_BUNDLE_BYTES: Final = 20 * 1024 * 1024


class LayoutBundleInvalid(ValidationFailed):
    code = "layout_bundle_invalid"
    default_message = "様式の共有ファイルを読めません。"


class NothingToShare(ValidationFailed):
    code = "no_layouts_to_share"
    default_message = "共有できる様式がありません。自治体の様式を有効にしてから書き出してください。"


class SharedLayout(BaseModel):
    form: str = Field(max_length=64)
    number: int
    source: str
    background_base64: str | None = None
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="as stored: source + background")


class LayoutBundle(BaseModel):
    format: Literal["madoguchi.layout-bundle/1"] = BUNDLE_FORMAT
    source_tenant_code: str = Field(pattern=r"^\d{6}$")
    source_tenant_name: str = Field(min_length=1, max_length=100)
    exported_at: dt.datetime
    layouts: list[SharedLayout] = Field(min_length=1)
    signer: str = Field(description="Ed25519 public key of the exporting deployment, base64")
    signature: str = Field(description="Ed25519 signature over the other fields, base64")

    def signed_bytes(self) -> bytes:
        fields = self.model_dump(mode="json", exclude={"signature"})
        return json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")


def export_bundle(session: Session, tenant_id: str, actor: str | None) -> bytes:
    """The municipality's active layouts as one signed file."""
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    rows = service.active_rows(session, tenant_id)
    if not rows:
        raise NothingToShare()
    bundle = LayoutBundle(
        source_tenant_code=tenant.code,
        source_tenant_name=tenant.name,
        exported_at=utcnow().replace(microsecond=0),
        layouts=[_shared(row) for row in rows],
        signer=crypto.bundle_signer(),
        signature="",
    )
    bundle.signature = crypto.sign_bundle(bundle.signed_bytes())
    forms = {row.form: row.number for row in rows}
    record(session, tenant_id=tenant_id, action="forms.layouts_exported", actor=actor,
           detail={"layouts": forms})  # fmt: skip
    return json.dumps(bundle.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


def _shared(row: FormLayoutVersion) -> SharedLayout:
    background = base64.b64encode(row.background).decode() if row.background else None
    return SharedLayout(
        form=row.form,
        number=row.number,
        source=row.source,
        background_base64=background,
        digest=row.digest,
    )


def read_bundle(data: bytes) -> LayoutBundle:
    """A bundle whose signature holds; LayoutBundleInvalid with the reason otherwise."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise LayoutBundleInvalid("様式の共有ファイルが大きすぎます (bundle too large).")
    try:
        bundle = LayoutBundle.model_validate(safe_parse.load_json(data))
    except (ValidationError, ValueError, safe_parse.DocumentTooComplex) as exc:
        raise LayoutBundleInvalid(
            "madoguchi の様式共有ファイルではありません (not a layout bundle)."
        ) from exc
    if not crypto.bundle_signature_holds(bundle.signer, bundle.signature, bundle.signed_bytes()):
        raise LayoutBundleInvalid(
            "様式の共有ファイルの署名が一致しません。途中で書き換えられた可能性があります "
            "(signature does not match)."
        )
    return bundle


def _decoded(data: str | None) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True) if data else None
    except (binascii.Error, ValueError) as exc:
        raise LayoutBundleInvalid("様式の共有ファイルの背景 PDF を読めません。") from exc


def import_bundle(
    session: Session, tenant_id: str, data: bytes, actor: str | None
) -> list[FormLayoutVersion]:
    """Each layout of the bundle as a new draft of this municipality (checked like an upload)."""
    bundle = read_bundle(data)
    origin = f"共創: {bundle.source_tenant_name}（{bundle.source_tenant_code}）"
    created = []
    for shared in bundle.layouts:
        background = _decoded(shared.background_base64)
        if service.digest_of(shared.source, background) != shared.digest:
            raise LayoutBundleInvalid("様式の共有ファイルの内容が壊れています (digest mismatch).")
        note = f"{origin} 第{shared.number}版"
        created.append(
            service.upload(session, tenant_id, shared.form, shared.source, background,
                           note=note, actor=actor)
        )  # fmt: skip
    return created
