"""共創: catalogs travel between municipalities as signed bundle files (no network assumed).

A tenant exports its active catalog as a bundle (the YAML, its source municipality and version,
signed with this deployment's Ed25519 key). Another tenant imports it as a draft (never active),
sees what differs from its own catalog per procedure in words a clerk reads, takes upstream
changes one procedure at a time, and later sees what changed upstream since the fork: upstream
then (the first bundle imported from that municipality), upstream now (the latest), ours.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.guidance import service
from backend.guidance.catalog import Catalog, Procedure
from backend.guidance.models import CatalogFork, CatalogVersion
from backend.guidance.wording import describe_change, procedures_by_id
from backend.identity.tenants.models import Tenant
from backend.platform import crypto, safe_parse
from backend.platform.audit.service import record
from backend.platform.db import utcnow
from backend.platform.errors import NotFound, ValidationFailed

BUNDLE_FORMAT: Final = "madoguchi.catalog-bundle/1"
MAX_BUNDLE_BYTES: Final = 2_000_000


class BundleInvalid(ValidationFailed):
    code = "bundle_invalid"
    default_message = "共有ファイルを読めません。"


class CatalogBundle(BaseModel):
    format: Literal["madoguchi.catalog-bundle/1"] = BUNDLE_FORMAT
    source_tenant_code: str = Field(pattern=r"^\d{6}$")
    source_tenant_name: str = Field(min_length=1, max_length=100)
    source_version: int | None = Field(description="the exporter's version number; None: sample")
    label: str = Field(max_length=200, description="catalog.version in the YAML")
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the YAML text")
    exported_at: dt.datetime
    catalog: str = Field(description="the catalog YAML")
    signer: str = Field(description="Ed25519 public key of the exporting deployment, base64")
    signature: str = Field(description="Ed25519 signature over the other fields, base64")

    def signed_bytes(self) -> bytes:
        fields = self.model_dump(mode="json", exclude={"signature"})
        return json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")

    @property
    def signer_fingerprint(self) -> str:
        return hashlib.sha256(base64.b64decode(self.signer)).hexdigest()[:16]


# --- export and reading -------------------------------------------------------------------


def export_bundle(session: Session, tenant_id: str, actor: str) -> bytes:
    """The tenant's active catalog (or the sample it runs on) as a signed bundle file."""
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    number, compiled = service.active_catalog(session)
    source = service.active_source(session)
    bundle = CatalogBundle(
        source_tenant_code=tenant.code,
        source_tenant_name=tenant.name,
        source_version=number,
        label=compiled.version_label,
        digest=hashlib.sha256(source.encode("utf-8")).hexdigest(),
        exported_at=utcnow().replace(microsecond=0),
        catalog=source,
        signer=crypto.bundle_signer(),
        signature="",
    )
    bundle.signature = crypto.sign_bundle(bundle.signed_bytes())
    record(
        session,
        tenant_id=tenant_id,
        action="catalog.export",
        actor=actor,
        detail={"version": number, "digest": bundle.digest},
    )
    return json.dumps(bundle.model_dump(mode="json"), ensure_ascii=False, indent=1).encode()


def read_bundle(data: bytes) -> CatalogBundle:
    """A bundle whose signature and digest hold; BundleInvalid with the reason otherwise."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleInvalid("共有ファイルが大きすぎます (bundle too large).")
    try:
        parsed = safe_parse.load_json(data)
        bundle = CatalogBundle.model_validate(parsed)
    except (ValidationError, ValueError, safe_parse.DocumentTooComplex) as exc:
        raise BundleInvalid(
            "madoguchi の手続きカタログ共有ファイルではありません (not a catalog bundle)."
        ) from exc
    if not crypto.bundle_signature_holds(bundle.signer, bundle.signature, bundle.signed_bytes()):
        raise BundleInvalid(
            "共有ファイルの署名が一致しません。途中で書き換えられた可能性があります "
            "(signature does not match)."
        )
    if hashlib.sha256(bundle.catalog.encode("utf-8")).hexdigest() != bundle.digest:
        raise BundleInvalid("共有ファイルの内容が壊れています (digest mismatch).")
    return bundle


# --- import, fork and the three-way view ---------------------------------------------------


def import_bundle(
    session: Session, tenant_id: str, bundle: CatalogBundle, actor: str
) -> tuple[CatalogVersion, CatalogFork]:
    """The bundle's catalog as a new draft version of this tenant (never activated)."""
    note = (
        f"{bundle.source_tenant_name}（{bundle.source_tenant_code}）の {bundle.label} "
        f"から取り込み（署名 {bundle.signer_fingerprint}）"
    )
    draft = service.upload(session, tenant_id, bundle.catalog, actor, note=note[:500])
    fork = CatalogFork(
        tenant_id=tenant_id,
        draft_number=draft.number,
        upstream_code=bundle.source_tenant_code,
        upstream_name=bundle.source_tenant_name,
        upstream_version=bundle.source_version,
        upstream_label=bundle.label,
        upstream_digest=bundle.digest,
        upstream_source=bundle.catalog,
        signer_fingerprint=bundle.signer_fingerprint,
    )
    session.add(fork)
    session.flush()
    record(
        session,
        tenant_id=tenant_id,
        action="catalog.import",
        actor=actor,
        detail={
            "draft": draft.number,
            "upstream": bundle.source_tenant_code,
            "upstream_version": bundle.source_version,
            "digest": bundle.digest,
            "signer": bundle.signer_fingerprint,
        },
    )
    return draft, fork


def forks_of(session: Session, upstream_code: str) -> list[CatalogFork]:
    return list(
        session.scalars(
            select(CatalogFork)
            .where(CatalogFork.upstream_code == upstream_code)
            .order_by(CatalogFork.created_at, CatalogFork.draft_number)
        )
    )


@dataclass(frozen=True)
class Upstream:
    code: str
    name: str
    imports: int
    label: str  # of the latest bundle imported from it


def upstreams(session: Session) -> list[Upstream]:
    """Every municipality this tenant imported a catalog from, with its latest bundle."""
    by_code: dict[str, list[CatalogFork]] = {}
    for fork in session.scalars(select(CatalogFork).order_by(CatalogFork.created_at)):
        by_code.setdefault(fork.upstream_code, []).append(fork)
    return [
        Upstream(code, forks[-1].upstream_name, len(forks), forks[-1].upstream_label)
        for code, forks in sorted(by_code.items())
    ]


ChangeState = Literal[
    "same", "upstream_changed", "ours_changed", "both_changed", "upstream_added",
    "upstream_removed", "ours_only",
]  # fmt: skip


@dataclass(frozen=True)
class ProcedureThreeWay:
    id: str
    name: str
    state: ChangeState
    changes: list[str]  # upstream then → upstream now, in words
    ours_to_upstream: list[str]  # what taking upstream's version now would change for us


def three_way(session: Session, upstream_code: str) -> list[ProcedureThreeWay]:
    """Per procedure: what changed upstream since we forked, and whether we changed it too."""
    forks = forks_of(session, upstream_code)
    if not forks:
        raise NotFound(f"団体コード {upstream_code} から取り込んだカタログはありません。")
    then = procedures_by_id(forks[0].upstream_source)
    now = procedures_by_id(forks[-1].upstream_source)
    ours = procedures_by_id(service.active_source(session))
    rows = []
    for pid in dict.fromkeys([*then, *now, *ours]):
        old, new, mine = then.get(pid), now.get(pid), ours.get(pid)
        state = _state(old, new, mine)
        if state == "same":
            continue
        name = (new or mine or old).name  # type: ignore[union-attr]
        rows.append(
            ProcedureThreeWay(
                pid, name, state, describe_change(old, new), describe_change(mine, new)
            )
        )
    return rows


def _state(old: Procedure | None, new: Procedure | None, mine: Procedure | None) -> ChangeState:
    if old is None and new is None:
        return "ours_only"
    if old is None:
        return "same" if mine == new else "upstream_added"
    if new is None:
        return "upstream_removed"
    upstream_moved, ours_moved = old != new, mine != old
    if upstream_moved and ours_moved:
        return "same" if mine == new else "both_changed"
    if upstream_moved:
        return "upstream_changed"
    return "ours_changed" if ours_moved else "same"


# --- taking upstream changes one by one ------------------------------------------------------


def adopt(
    session: Session, tenant_id: str, upstream_code: str, procedure_ids: list[str], actor: str
) -> CatalogVersion:
    """A new draft: our active catalog with the chosen procedures as upstream has them now.

    A procedure upstream removed is removed; one upstream added is appended. Comments of our
    YAML are not kept in the draft (it is written back from data).
    """
    forks = forks_of(session, upstream_code)
    if not forks:
        raise NotFound(f"団体コード {upstream_code} から取り込んだカタログはありません。")
    upstream = safe_parse.load_yaml(forks[-1].upstream_source)
    ours = safe_parse.load_yaml(service.active_source(session))
    upstream_by_id = {p["id"]: p for p in upstream["procedures"]}
    unknown = [pid for pid in procedure_ids if pid not in upstream_by_id and not _has(ours, pid)]
    if unknown:
        raise ValidationFailed(f"手続き {', '.join(unknown)} はどちらのカタログにもありません。")
    for pid in procedure_ids:
        _take(ours, upstream, pid)
    Catalog.model_validate(ours)  # fail early with pydantic's message if the merge is odd
    text = yaml.safe_dump(ours, allow_unicode=True, sort_keys=False, width=100)
    note = f"{upstream_code} から {len(procedure_ids)} 件の手続きの変更を取り込み"
    draft = service.upload(session, tenant_id, text, actor, note=note)
    record(
        session,
        tenant_id=tenant_id,
        action="catalog.adopt",
        actor=actor,
        detail={"draft": draft.number, "upstream": upstream_code, "procedures": procedure_ids},
    )
    return draft


def _has(catalog: dict[str, Any], pid: str) -> bool:
    return any(p["id"] == pid for p in catalog["procedures"])


def _take(ours: dict[str, Any], upstream: dict[str, Any], pid: str) -> None:
    theirs = next((p for p in upstream["procedures"] if p["id"] == pid), None)
    procedures = ours["procedures"]
    index = next((i for i, p in enumerate(procedures) if p["id"] == pid), None)
    if theirs is None:
        if index is not None:
            del procedures[index]
        return
    if index is None:
        procedures.append(theirs)
    else:
        procedures[index] = theirs
    for section in ("departments", "counters", "questions"):
        known = {item["id"] for item in ours.get(section, [])}
        for item in upstream.get(section, []):  # what the taken procedure may refer to
            if item["id"] not in known:
                ours.setdefault(section, []).append(item)
