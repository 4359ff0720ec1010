"""Pre-entry (事前入力): a resident answers on their phone, a clerk opens the visit from the QR.

The resident's page asks the guidance engine with what they typed (no card, no login) and sees
the procedures, counters, items and fees in their language; what they send is stored encrypted
under a short random code, which the QR carries. At the counter the code is used once: the
visit is prefilled (``source: resident``) and the payload is deleted. Unused pre-entries are
deleted ``preentry_retention_days`` after they were made (``purge_expired``, a worker job).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.addresses import service as addresses
from backend.counter.models import Visit
from backend.counter.resident_entry import ResidentPrefill, prefill_visit
from backend.guidance.engine import evaluate
from backend.guidance.service import active_catalog
from backend.guidance.translations import translate
from backend.identity.tenants.models import Tenant
from backend.platform.audit import service as audit
from backend.platform.db import session_scope, utcnow
from backend.residents.errors import PreEntryExpired, PreEntryNotFound, PreEntryUsed
from backend.residents.models import PreEntry
from backend.residents.schemas import (
    AreaChoice,
    Choice,
    PreEntryCreate,
    PreEntryIssued,
    ProcedureView,
    PublicGuidance,
    QuestionView,
    ResidentAnswers,
)
from backend.residents.service import qr_svg, refuse_twelve_digits, settings_of
from contracts import GuidanceResult, VisitRecord
from contracts.guidance import ProcedureResult, QuestionResult
from contracts.visit import TenantRef

CODE_PREFIX = "PE-"
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud or typed safely
_CODE_LENGTH = 12  # 60 bits


def new_code() -> str:
    body = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return f"{CODE_PREFIX}{body[:4]}-{body[4:8]}-{body[8:]}"


def normalise_code(text: str) -> str:
    """What a scanner or a person typed, as stored: upper case, the dashes where they belong
    (a keyboard-wedge scanner on a Japanese layout may drop or double a symbol)."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    body = raw.removeprefix("PE")
    return f"{CODE_PREFIX}{body[:4]}-{body[4:8]}-{body[8:]}"


# --- the resident's page ------------------------------------------------------------------


def areas(session: Session, tenant: Tenant, query: str) -> list[AreaChoice]:
    area_list, found = addresses.search(
        tenant.code, query, areas=addresses.areas_for(session, tenant.code)
    )
    if area_list is None:
        return []
    return [
        AreaChoice(id=a.id, name=a.name, kana=a.kana, full_name=area_list.full_name(a))
        for a in found
    ]


def _record(tenant: Tenant, body: ResidentAnswers, today: dt.date) -> VisitRecord:
    members = [
        {
            "name": m.name,
            "kana": m.kana,
            "birth_date": m.birth_date,
            "sex": m.sex,
            "relationship": m.relationship,
            "nationality": m.nationality,
            "source": "resident",
        }
        for m in body.members
    ]
    return VisitRecord.model_validate(
        {
            "tenant": TenantRef(code=tenant.code, name=tenant.name),
            "event": body.event,
            "event_date": today,
            "filed_on": today,
            "members": members,
        }
    )


def guide(session: Session, tenant: Tenant, body: ResidentAnswers) -> PublicGuidance:
    """The guidance for what the resident typed, in their language (nothing stored)."""
    refuse_twelve_digits(body.model_dump(mode="json"))
    _number, catalog = active_catalog(session)
    today = utcnow().date()
    result = evaluate(_record(tenant, body, today), catalog, body.answers)
    return _public(result, body.lang, [m.name for m in body.members])


def _public(result: GuidanceResult, lang: str, names: list[str]) -> PublicGuidance:
    return PublicGuidance(
        procedures=[_procedure(p, lang) for p in result.procedures],
        questions=[_question(q, lang, names) for q in result.questions],
        fee_yen=result.totals.fee_yen,
        minutes=result.totals.minutes,
    )


def _procedure(procedure: ProcedureResult, lang: str) -> ProcedureView:
    counter = procedure.counter
    return ProcedureView(
        id=procedure.id,
        name=translate(lang, "procedure", procedure.id, default=procedure.name),
        name_ja=procedure.name,
        counter=translate(lang, "counter", counter.id, default=counter.name),
        counter_ja=counter.name,
        counter_number=counter.number,
        floor=counter.floor,
        items=[
            Choice(value=item, label=translate(lang, "item", item, default=item), label_ja=item)
            for item in procedure.items
        ],
        reasons=[translate(lang, "reason", r, default=r) for r in procedure.reasons],
        fee_yen=procedure.fee_yen,
        deadline=procedure.deadline,
    )


def _question(question: QuestionResult, lang: str, names: list[str]) -> QuestionView:
    fact = question.id.rsplit(".", 1)[-1]
    default = question.text.get("en" if lang != "ja" else "ja") or question.text["ja"]
    text = translate(lang, "question", fact, default=default)
    if question.member is not None and question.member < len(names):
        text = text.replace("{member}", names[question.member])
    choices = [
        Choice(
            value=c,
            label=translate(lang, "choice", f"{fact}.{c}", default=c),
            label_ja=translate("ja", "choice", f"{fact}.{c}", default=c),
        )
        for c in question.choices
    ]
    return QuestionView(
        id=question.id,
        text=text,
        text_ja=question.text["ja"],
        type=question.type,
        choices=choices,
        member=question.member,
    )


_FULL_WIDTH = {i: i + 0xFEE0 for i in range(0x21, 0x7F)} | {0x20: 0x3000}


def _new_address(session: Session, tenant: Tenant, body: PreEntryCreate) -> str | None:
    """The new address as the staff console writes it: the 町字's full name, then the block
    in full-width characters."""
    if not body.new_area_id:
        return None
    area_list = addresses.areas_for(session, tenant.code)
    area = next(
        (a for a in (area_list.areas if area_list else []) if a.id == body.new_area_id), None
    )
    if area_list is None or area is None:
        return None
    return area_list.full_name(area) + (body.new_block or "").translate(_FULL_WIDTH)


def create(
    session: Session, tenant: Tenant, body: PreEntryCreate, *, now: dt.datetime | None = None
) -> PreEntryIssued:
    now = now or utcnow()
    refuse_twelve_digits(body.model_dump(mode="json"))
    days = settings_of(session, tenant.id).preentry_retention_days
    payload: dict[str, Any] = {
        "event_date": body.event_date.isoformat() if body.event_date else None,
        "phone": body.phone,
        "new_address": _new_address(session, tenant, body),
        "members": [m.model_dump(mode="json", exclude_none=True) for m in body.members],
        "answers": body.answers,
        "certificates": [c.model_dump(mode="json", exclude_none=True) for c in body.certificates],
    }
    entry = PreEntry(
        tenant_id=tenant.id,
        code=new_code(),
        lang=body.lang,
        event=body.event,
        payload=payload,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant.id,
        action="preentry.created",
        actor="resident",
        detail={"preentry_id": entry.id, "event": body.event, "members": len(body.members)},
    )
    return PreEntryIssued(
        code=entry.code,
        expires_at=entry.expires_at,
        qr_svg=qr_svg(entry.code),
        guidance=guide(session, tenant, body),
    )


# --- the counter --------------------------------------------------------------------------


def usable(session: Session, code: str, now: dt.datetime) -> PreEntry:
    """The pre-entry of ``code``, locked; refused when unknown, used or expired."""
    entry = session.scalars(
        select(PreEntry).where(PreEntry.code == normalise_code(code)).with_for_update()
    ).one_or_none()
    if entry is None:
        raise PreEntryNotFound()
    if entry.used_at is not None:
        raise PreEntryUsed()
    if entry.payload is None or entry.expires_at <= now:
        raise PreEntryExpired()
    return entry


def apply(
    session: Session, visit_id: str, code: str, *, actor: str, now: dt.datetime | None = None
) -> Visit:
    """Open the visit's fields from the pre-entry, once; its payload is then deleted."""
    now = now or utcnow()
    entry = usable(session, code, now)
    payload = dict(entry.payload or {})
    prefill = ResidentPrefill(
        event=entry.event,
        event_date=dt.date.fromisoformat(payload["event_date"])
        if payload.get("event_date")
        else None,
        phone=payload.get("phone"),
        new_address=payload.get("new_address"),
        members=list(payload.get("members", [])),
        answers=dict(payload.get("answers", {})),
        certificates=list(payload.get("certificates", [])),
        lang=entry.lang,
    )
    visit = prefill_visit(session, visit_id, prefill)
    entry.used_at = now
    entry.visit_id = visit.id
    entry.payload = None
    session.flush()
    audit.record(
        session,
        tenant_id=entry.tenant_id,
        action="preentry.used",
        actor=actor,
        visit_id=visit.id,
        detail={"preentry_id": entry.id},
    )
    return visit


# --- retention ----------------------------------------------------------------------------


def purge_expired(session: Session, now: dt.datetime | None = None) -> int:
    """Delete the pre-entries past their retention. A used one has no data left already; its
    row stays until then so that a second scan says "already used", not "not found"."""
    now = now or utcnow()
    gone = session.execute(
        delete(PreEntry)
        .where(PreEntry.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(gone, "rowcount", 0) or 0)


def purge_job() -> int:
    with session_scope(write=True, unscoped=True) as session:
        return purge_expired(session)
