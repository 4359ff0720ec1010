"""A municipality's own form layouts: upload (checked by ``forms.upload``), preview with an
invented household under 見本, activate one version per form, go back to the built-in layout.

The counter asks ``layouts_for(session, tenant_id)`` for the layouts in use; parsed layouts are
kept per stored version (its id and digest), so a render never re-reads a background PDF.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, undefer

from backend.identity.tenants.models import Tenant
from backend.layouts.models import FormLayoutVersion
from backend.platform import request_memo
from backend.platform.audit.service import record as audit
from backend.platform.errors import NotFound, ValidationFailed
from forms import form_names, load_layout
from forms.layout import Layout
from forms.pdf import Rendered
from forms.sample import sample_guidance, sample_record
from forms.stamping import render_unsigned, watermarked
from forms.upload import LayoutRefused, checked_layout

_PARSED_MAX = 64
_parsed: OrderedDict[tuple[str, str], Layout] = OrderedDict()
_parsed_lock = threading.Lock()


class LayoutNotFound(NotFound):
    code = "layout_not_found"
    default_message = "その様式レイアウトはありません。"


@dataclass(frozen=True)
class FormLayouts:
    """One form: its built-in title and the municipality's versions (newest first)."""

    form: str
    title: str
    versions: list[FormLayoutVersion]


def upload(
    session: Session,
    tenant_id: str,
    form: str,
    source: str,
    background: bytes | None,
    *,
    note: str | None,
    actor: str | None,
) -> FormLayoutVersion:
    """Store a checked layout as a new (inactive) version of ``form``."""
    try:
        checked_layout(form, source, background)
    except LayoutRefused as refused:
        raise ValidationFailed(refused.message, code=refused.code, issues=refused.issues) from None
    row = FormLayoutVersion(
        tenant_id=tenant_id,
        form=form,
        number=_next_number(session, tenant_id, form),
        source=source,
        background=background,
        background_sha256=hashlib.sha256(background).hexdigest() if background else None,
        digest=digest_of(source, background),
        note=note,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    _audit(session, row, "forms.layout_uploaded", actor)
    return row


def _next_number(session: Session, tenant_id: str, form: str) -> int:
    last = session.scalar(
        select(func.max(FormLayoutVersion.number)).where(
            FormLayoutVersion.tenant_id == tenant_id, FormLayoutVersion.form == form
        )
    )
    return (last or 0) + 1


def digest_of(source: str, background: bytes | None) -> str:
    """What a rendering with this layout depends on (also checks a shared layout arrived whole)."""
    digest = hashlib.sha256(source.encode("utf-8"))
    digest.update(b"\0" + (background or b""))
    return digest.hexdigest()


def listing(session: Session, tenant_id: str) -> list[FormLayouts]:
    rows = session.scalars(
        select(FormLayoutVersion)
        .where(FormLayoutVersion.tenant_id == tenant_id)
        .order_by(FormLayoutVersion.form, FormLayoutVersion.number.desc())
    ).all()
    return [
        FormLayouts(name, load_layout(name).title, [r for r in rows if r.form == name])
        for name in form_names()
    ]


def version(session: Session, tenant_id: str, form: str, number: int) -> FormLayoutVersion:
    row = session.scalar(
        select(FormLayoutVersion).where(
            FormLayoutVersion.tenant_id == tenant_id,
            FormLayoutVersion.form == form,
            FormLayoutVersion.number == number,
        )
    )
    if row is None:
        raise LayoutNotFound()
    return row


def activate(
    session: Session, tenant_id: str, form: str, number: int, *, actor: str | None
) -> FormLayoutVersion:
    """Make version ``number`` the layout of ``form`` from the next rendering on."""
    row = version(session, tenant_id, form, number)
    _deactivate(session, tenant_id, form)
    row.active = True
    session.flush()
    _audit(session, row, "forms.layout_activated", actor)
    return row


def use_builtin(session: Session, tenant_id: str, form: str, *, actor: str | None) -> None:
    """Back to the built-in layout of ``form`` (the uploaded versions stay, inactive)."""
    if form not in form_names():
        raise LayoutNotFound()
    _deactivate(session, tenant_id, form)
    audit(
        session,
        tenant_id=tenant_id,
        action="forms.layout_builtin",
        actor=actor,
        detail={"form": form},
    )


def _deactivate(session: Session, tenant_id: str, form: str) -> None:
    session.execute(
        update(FormLayoutVersion)
        .where(FormLayoutVersion.tenant_id == tenant_id, FormLayoutVersion.form == form)
        .values(active=False)
    )


def _audit(session: Session, row: FormLayoutVersion, action: str, actor: str | None) -> None:
    detail = {"form": row.form, "number": row.number, "digest": row.digest, "note": row.note}
    audit(session, tenant_id=row.tenant_id, action=action, actor=actor, detail=detail)


# --- what the counter renders with -------------------------------------------------------


def active_rows(session: Session, tenant_id: str) -> list[FormLayoutVersion]:
    """The active layouts with their backgrounds (for sharing them)."""
    return list(
        session.scalars(
            select(FormLayoutVersion)
            .options(undefer(FormLayoutVersion.background))
            .where(FormLayoutVersion.tenant_id == tenant_id, FormLayoutVersion.active.is_(True))
            .order_by(FormLayoutVersion.form)
        )
    )


def active_versions(session: Session, tenant_id: str) -> tuple[tuple[str, str, str], ...]:
    """(form, version id, digest) of each active layout: what a visit's forms are drawn with."""
    # Read already in this request with the prepared key (counter/prepared_cache.py)?
    remembered = request_memo.recall(session, ("active_layouts", tenant_id))
    if remembered is not request_memo.MISSING:
        return remembered
    rows = session.execute(
        select(FormLayoutVersion.form, FormLayoutVersion.id, FormLayoutVersion.digest)
        .where(FormLayoutVersion.tenant_id == tenant_id, FormLayoutVersion.active.is_(True))
        .order_by(FormLayoutVersion.form)
    ).all()
    return tuple((form, row_id, digest) for form, row_id, digest in rows)


def layouts_for(session: Session, tenant_id: str) -> dict[str, Layout]:
    """The municipality's active layouts by form (a form absent here uses the built-in one)."""
    return {
        form: _parsed_layout(session, row_id, digest)
        for form, row_id, digest in active_versions(session, tenant_id)
    }


def _parsed_layout(session: Session, row_id: str, digest: str) -> Layout:
    key = (row_id, digest)
    with _parsed_lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    row = session.scalar(
        select(FormLayoutVersion)
        .options(undefer(FormLayoutVersion.background))
        .where(FormLayoutVersion.id == row_id)
    )
    assert row is not None
    layout = _as_layout(row)
    with _parsed_lock:
        _parsed[key] = layout
        while len(_parsed) > _PARSED_MAX:
            _parsed.popitem(last=False)
    return layout


def _as_layout(row: FormLayoutVersion) -> Layout:
    layout = checked_layout(row.form, row.source, row.background)
    # The source names the stored version: the render cache keys on it (counter.rendering).
    return layout.model_copy(update={"source": f"tenant-layout:{row.id}:{row.digest}"})


def preview(session: Session, tenant_id: str, form: str, number: int | None) -> Rendered:
    """Version ``number`` of ``form`` (None: the built-in layout) filled with an invented
    household, 見本 across every sheet."""
    if number is None:
        if form not in form_names():
            raise LayoutNotFound()
        layout = load_layout(form)
    else:
        row = version(session, tenant_id, form, number)
        layout = _parsed_layout(session, row.id, row.digest)
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    record = sample_record(tenant.code, tenant.name)
    base = render_unsigned(form, record, sample_guidance(), layout)
    return watermarked(base, layout)
