"""Visits: open, fill in, assemble the canonical record, close; every step is a VisitEvent.

Services only ``flush()``; the request (or the caller's unit of work) commits once.
Event data carries ids and counts, never personal data.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Select, String, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, selectinload

from backend.counter import roles, states
from backend.counter.errors import (
    AnswerKeyInvalid,
    CardDataInvalid,
    CardFieldReadOnly,
    MemberNotFound,
    VisitIncomplete,
    VisitNotFound,
)
from backend.counter.individual_number import refuse_in_free_text
from backend.counter.models import HouseholdMember, Visit, VisitEvent, VisitView
from backend.counter.schemas import (
    CARD_FIELDS,
    Journey,
    MemberAttributes,
    MemberCreate,
    MemberUpdate,
    VisitEventRead,
    VisitUpdate,
)
from backend.counter.states import ON_TABLET, VisitAction, VisitStatus
from backend.identity.tenants.models import Counter, Tenant
from backend.journey import summaries
from backend.platform.access import Principal
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from backend.queue import service as queue_service
from backend.queue.models import Ticket
from contracts import Applicant, Member, TenantRef, VisitRecord

ATTRIBUTE_FIELDS: tuple[str, ...] = tuple(MemberAttributes.model_fields)


@dataclass(frozen=True)
class CardFields:
    """The four attributes read from a My Number Card (券面事項入力補助AP), as read."""

    name: str
    address: str
    birth_date: str  # YYYYMMDD or YYYY-MM-DD, as the reader returned it
    sex: str


# --- events -------------------------------------------------------------------------------


def add_event(
    session: Session,
    visit: Visit,
    kind: str,
    data: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> VisitEvent:
    # Stamped now, not at the flush: the event happened at this step of the request.
    event = VisitEvent(
        tenant_id=visit.tenant_id,
        visit_id=visit.id,
        kind=kind,
        data=dict(data or {}),
        at=at if at is not None else utcnow(),
    )
    # No flush here: the request's events go to the database together, in one INSERT, at its
    # next flush (a later query in this request flushes them first, so it sees them). The
    # report's row for this visit is rewritten once for all of them, at the commit or before
    # the transaction reads a summary, when one of them is an event the row measures
    # (backend/journey/summaries.py): never behind its journey.
    session.add(event)
    summaries.event_recorded(session, visit.id, kind)
    if session.info.get("tenant_id") is None:
        # An unscoped unit (a seeder, the CLI) may write for several tenants in turn, and a
        # flush after it scopes itself refuses another tenant's rows: flush them while it can.
        session.flush()
    return event


def list_events(session: Session, visit: Visit) -> list[VisitEvent]:
    return list(
        session.scalars(
            select(VisitEvent)
            .where(VisitEvent.visit_id == visit.id)
            .order_by(VisitEvent.at, VisitEvent.id)
        )
    )


# --- visits -------------------------------------------------------------------------------


# The visit's ticket number and service day, as ``get_visit`` read them with the visit: kept
# in the instance's own dict (not a mapped attribute, so never written back); a visit's ticket
# never changes once it is opened.
_TICKET_LABEL = "_ticket_label"


def get_visit(session: Session, visit_id: str) -> Visit:
    # One statement for the visit and its few members (selectinload took two): most requests
    # of the counter flow start here.
    # The ticket's number and day come in the same statement (an outer join): every visit
    # answer shows the number, the canonical record its reception label.
    row = session.execute(_visit_query(), {"visit_id": visit_id}).unique().one_or_none()
    visit = row[0] if row is not None else None
    if visit is not None and row is not None and row[1] is not None:
        visit.__dict__[_TICKET_LABEL] = (row[1], row[2])
    if visit is None:
        raise VisitNotFound()
    return visit


@functools.cache
def _visit_query() -> Select[Visit, str, dt.date]:
    """``get_visit``'s statement, built once (its id bound at each execution)."""
    return (
        select(Visit, Ticket.display_number, Ticket.service_day)
        .outerjoin(Ticket, Ticket.id == Visit.ticket_id)
        .where(Visit.id == bindparam("visit_id", type_=String))
        .options(joinedload(Visit.members))
    )


def open_visit(
    session: Session,
    *,
    tenant_id: str,
    ticket_id: str | None = None,
    counter_id: str | None = None,
    actor: str | None = None,
) -> Visit:
    ticket = None
    if ticket_id is not None:
        ticket = queue_service.get_ticket(session, ticket_id)
        counter_id = counter_id or ticket.counter_id
    counter = session.get(Counter, counter_id) if counter_id else None
    if counter_id is not None and (counter is None or counter.tenant_id != tenant_id):
        raise VisitNotFound("窓口が見つかりません。", code="counter_not_found")
    visit = Visit(
        tenant_id=tenant_id,
        ticket_id=ticket.id if ticket else None,
        counter_id=counter.id if counter else None,
        office_id=counter.office_id if counter else None,
        resident_lang=ticket.lang if ticket else None,  # the tablet opens in it
        status=VisitStatus.OPEN,
        facts={},
        certificates=[],
    )
    session.add(visit)
    session.flush()
    if ticket is not None:
        # The wait is measured from the ticket's own times, copied as events of the visit.
        add_event(
            session, visit, "ticket.issued", {"ticket": ticket.display_number}, at=ticket.issued_at
        )
        if ticket.called_at is not None:
            add_event(
                session,
                visit,
                "ticket.called",
                {"ticket": ticket.display_number, "counter_id": ticket.counter_id},
                at=ticket.called_at,
            )
    add_event(session, visit, "visit.opened", {"counter_id": visit.counter_id, "by": actor})
    if ticket is not None:
        queue_service.start_serving_if_called(session, ticket, actor=actor)
    return get_visit(session, visit.id)


def ensure_open(visit: Visit) -> None:
    """Refuse any change to a closed visit (``VisitClosed``)."""
    states.ensure_allowed(visit, VisitAction.EDIT)


def view_visit(session: Session, visit_id: str, principal: Principal) -> Visit:
    """The visit, for a clerk's screen: who saw which personal data is audited.

    Once per staff session and version of the visit (docs/security.md, "Audit"): the console
    re-reads an unchanged visit many times a visit, and each would otherwise append to the chain.
    """
    visit = get_visit(session, visit_id)
    audit_view(session, visit, principal)
    return visit


def audit_view(session: Session, visit: Visit, principal: Principal) -> None:
    """Audit that ``principal`` saw ``visit`` as it now is (``view_visit``'s rule: once per
    staff session and version)."""
    login = principal.staff.session_id if principal.staff is not None else None
    if login is None or _first_view_of_version(session, visit, login):
        audit_visit(session, principal, "visit.view", visit)


def _first_view_of_version(session: Session, visit: Visit, login: str) -> bool:
    """Remember that ``login`` saw this version of ``visit``: True when it had not yet.

    One upsert: a concurrent view of the same session waits for the row and then finds the
    version recorded, so the view is audited exactly once.
    """
    version = _version(visit)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    remember = (
        dialect.insert(VisitView)
        .values(
            tenant_id=visit.tenant_id, visit_id=visit.id, session_id=login, version_seen=version
        )
        .on_conflict_do_update(
            index_elements=[VisitView.visit_id, VisitView.session_id],
            set_={"version_seen": version},
            where=VisitView.version_seen < version,
        )
        .returning(VisitView.visit_id)
    )
    return session.execute(remember).first() is not None


def _version(visit: Visit) -> dt.datetime:
    """When the visit or one of its members last changed (what a view shows)."""
    return max([visit.updated_at, *(member.updated_at for member in visit.members)])


def audit_visit(
    session: Session,
    principal: Principal,
    action: str,
    visit: Visit,
    detail: dict[str, str] | None = None,
) -> None:
    """Audit what ``principal`` did with ``visit`` (a view, a preview, a download…)."""
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action=action,
        actor=principal.actor,
        visit_id=visit.id,
        detail=detail,
    )


def update_visit(session: Session, visit_id: str, changes: VisitUpdate) -> Visit:
    visit = get_visit(session, visit_id)
    ensure_open(visit)
    sent = changes.model_dump(exclude_unset=True)
    refuse_in_free_text(sent)
    changed: list[str] = []
    for field in ("event", "event_date", "filed_on"):
        if field in sent:
            setattr(visit, field, sent[field])
            changed.append(field)
    for field in ("previous_address", "new_address", "household_head"):
        if field in sent:
            setattr(visit, field, sent[field] or None)
            changed.append(field)
    if "applicant" in sent:
        _set_applicant(visit, changes.applicant)
        changed.append("applicant")
    changed += _set_roles(visit, changes, sent)
    if changes.facts is not None:
        _merge_facts(visit, changes.facts)
        changed.append("facts")
    if changes.certificates is not None:
        visit.certificates = [
            c.model_dump(mode="json", exclude_none=True) for c in changes.certificates
        ]
        changed.append("certificates")
    if "event" in sent:
        _date_defaults(session, visit)
    if changed:
        _unsign(session, visit)
        add_event(session, visit, "visit.updated", {"fields": changed})
    fill_defaults(visit)
    session.flush()
    return visit


def _date_defaults(session: Session, visit: Visit) -> None:
    """An event chosen without dates is filed today and happened today, by the municipality's
    calendar: the server's clock in the tenant's time zone, not the browser's."""
    if visit.event is None:
        return
    # Not flushed for the tenant: the change goes to the database in one UPDATE, at the end.
    with session.no_autoflush:
        tenant = session.get(Tenant, visit.tenant_id)
    assert tenant is not None
    visit.filed_on = visit.filed_on or local_today(tenant)
    visit.event_date = visit.event_date or visit.filed_on


MOVES = roles.MOVES


def _set_applicant(visit: Visit, applicant: Applicant | None) -> None:
    """The 届出人: a member (by index, or named as one), or someone outside the household;
    None returns to the event's default."""
    stored = roles.stored_roles(visit)
    stored.pop("applicant_member", None)
    stored.pop("applicant_relationship", None)
    visit.applicant_name = visit.applicant_relationship = visit.applicant_phone = None
    if applicant is not None:
        member = _applicant_member(visit, applicant)
        visit.applicant_phone = applicant.phone
        if member is not None:
            roles.refuse_filer(visit, member)
            stored["applicant_member"] = member.id
            if applicant.relationship:
                stored["applicant_relationship"] = applicant.relationship
        else:
            visit.applicant_name = applicant.name
            visit.applicant_relationship = applicant.relationship
    visit.roles = stored


def _applicant_member(visit: Visit, applicant: Applicant) -> HouseholdMember | None:
    if applicant.member is not None:
        if not 0 <= applicant.member < len(visit.members):
            raise MemberNotFound()
        return visit.members[applicant.member]
    return next((m for m in visit.members if m.name == applicant.name), None)


def _set_roles(visit: Visit, changes: VisitUpdate, sent: Mapping[str, Any]) -> list[str]:
    """The 代理人, the new 世帯主 and the questions left unresolved (each only when sent)."""
    stored = roles.stored_roles(visit)
    changed: list[str] = []
    if "representative" in sent:
        representative = changes.representative
        stored["representative"] = (
            representative.model_dump(exclude_none=True) if representative else None
        )
        changed.append("representative")
    if "new_household_head" in sent:
        stored["new_household_head"] = changes.new_household_head or None
        changed.append("new_household_head")
    if changes.unresolved is not None:
        stored["unresolved"] = [u.model_dump(exclude_none=True) for u in changes.unresolved]
        changed.append("unresolved")
    if changed:
        visit.roles = {k: v for k, v in stored.items() if v is not None}
    return changed


def _merge_facts(visit: Visit, changes: Mapping[str, Any]) -> None:
    facts = dict(visit.facts or {})
    for key, value in changes.items():
        refuse_member_field_fact(key, len(visit.members))
        if value is None:
            facts.pop(key, None)
        else:
            facts[key] = value
    visit.facts = facts


def _member_key(key: str, members: int) -> tuple[int, str] | None:
    """``members.N.FIELD`` → (N, FIELD); None for a household key; a malformed key (say a
    doubled ``members.0.members.0.x``, which no question reads) is refused."""
    if not key.startswith("members."):
        return None
    parts = key.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2] or parts[2] == "members":
        raise AnswerKeyInvalid(key=key)
    index = int(parts[1])
    if index >= members:
        raise AnswerKeyInvalid(f"世帯員 {index} はいません。", key=key)
    return index, parts[2]


def refuse_member_field_fact(key: str, members: int) -> None:
    """A member's field (nationality, insurance…) belongs to the member, not the facts:
    stored as a fact, the forms would never see it."""
    found = _member_key(key, members)
    if found is not None and found[1] in MemberUpdate.model_fields:
        raise AnswerKeyInvalid(
            "世帯員の項目は世帯員に記録します（回答は /answers に送ってください）。", key=key
        )


def answer_questions(session: Session, visit_id: str, answers: Mapping[str, Any]) -> Visit:
    """Answers to the guidance's questions, each where it belongs: ``members.N.FIELD`` of a
    member field on member N, anything else in the visit's facts. An answered question is no
    longer among the unresolved ones."""
    visit = get_visit(session, visit_id)
    ensure_open(visit)
    refuse_in_free_text(dict(answers))
    by_member: dict[int, dict[str, Any]] = {}
    facts: dict[str, Any] = {}
    for key, value in answers.items():
        found = _member_key(key, len(visit.members))
        if found is not None and found[1] in MemberUpdate.model_fields:
            by_member.setdefault(found[0], {})[found[1]] = value
        else:
            facts[key] = value
    for index, fields in sorted(by_member.items()):
        member = visit.members[index]
        _update_member_fields(visit, member, _member_update(fields, member))
    if facts:
        _merge_facts(visit, facts)
    stored = roles.stored_roles(visit)
    if stored.get("unresolved"):
        stored["unresolved"] = [u for u in stored["unresolved"] if u["question"] not in answers]
        visit.roles = stored
    _unsign(session, visit)
    add_event(session, visit, "visit.answered", {"questions": sorted(answers)})
    fill_defaults(visit)
    session.flush()
    return visit


def _member_update(fields: Mapping[str, Any], member: HouseholdMember) -> MemberUpdate:
    try:
        return MemberUpdate.model_validate(fields)
    except ValidationError as exc:
        key = f"members.{member.position}.{exc.errors()[0]['loc'][0]}"
        raise AnswerKeyInvalid(
            f"{key} の回答が正しくありません: {exc.errors()[0]['msg']}", key=key
        ) from exc


def fill_defaults(visit: Visit) -> None:
    """What the rows already tell us, so nobody types it: the previous address (for a move,
    the card still holds it), the 世帯主 (the event's default 届出人: a parent at a birth, a
    survivor at a death, never the newborn or the deceased) and the newborn's 続柄 (子)."""
    if not visit.members:
        return
    card = next((m for m in visit.members if m.source == "card"), None)
    if visit.event in MOVES and visit.previous_address is None and card and card.address:
        visit.previous_address = card.address
    if roles.head_member(visit) is None and visit.household_head is None:
        head = roles.default_head(visit)
        if head is not None and head.relationship_to_head is None:
            head.relationship_to_head = roles.HEAD
    if roles.head_member(visit) is not None:
        for member in visit.members:
            if roles.is_newborn(visit, member) and member.relationship_to_head is None:
                member.relationship_to_head = "子"


def _unsign(session: Session, visit: Visit) -> None:
    """A change after signing voids the signature: the resident must see what they sign."""
    previous = states.apply(visit, VisitAction.EDIT)
    if previous in ON_TABLET:
        add_event(session, visit, "confirmation.voided", {"was": previous.value})


def close_visit(
    session: Session,
    visit_id: str,
    *,
    actor: str | None = None,
    action: VisitAction = VisitAction.CLOSE,
) -> Visit:
    """End the visit (``action``: the clerk's close, or the hand-off) and free its ticket."""
    return close(session, get_visit(session, visit_id), actor=actor, action=action)


def close(session: Session, visit: Visit, *, actor: str | None, action: VisitAction) -> Visit:
    """``close_visit`` of a visit this request already holds (the hand-off): not read again."""
    states.apply(visit, action)
    visit.closed_at = utcnow()
    add_event(session, visit, "visit.closed", {"by": actor})
    queue_service.finish_if_active(session, visit.ticket_id, actor=actor)
    session.flush()
    return visit


# --- members ------------------------------------------------------------------------------


def next_position(visit: Visit) -> int:
    return max((m.position for m in visit.members), default=-1) + 1


def _apply_attributes(member: HouseholdMember, values: Mapping[str, Any]) -> None:
    attributes = dict(member.attributes or {})
    for field in ATTRIBUTE_FIELDS:
        if field not in values:
            continue
        value = values[field]
        if isinstance(value, dt.date):
            value = value.isoformat()
        if value is None:
            attributes.pop(field, None)
        else:
            attributes[field] = value
    member.attributes = attributes


def add_staff_member(
    session: Session, visit_id: str, body: MemberCreate, *, source: str = "staff"
) -> HouseholdMember:
    """A member typed at the counter (``staff``), or before it by the resident (``resident``)."""
    visit = get_visit(session, visit_id)
    ensure_open(visit)
    refuse_in_free_text(body.model_dump(exclude_unset=True))
    member = HouseholdMember(
        tenant_id=visit.tenant_id,
        visit_id=visit.id,
        position=next_position(visit),
        name=body.name,
        kana=body.kana,
        birth_date=body.birth_date.isoformat() if body.birth_date else None,
        sex=body.sex,
        relationship_to_head=body.relationship,
        nationality=body.nationality,
        address=body.address,
        source=source,
        attributes={},
    )
    _apply_attributes(member, body.model_dump(exclude_unset=True))
    visit.members.append(member)
    fill_defaults(visit)
    session.flush()
    _unsign(session, visit)
    add_event(session, visit, "member.added", {"member_id": member.id, "source": source})
    return member


def parse_card_birth_date(raw: str) -> dt.date:
    text = raw.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CardDataInvalid() from exc


def add_card_member(
    session: Session, visit: Visit, card: CardFields, *, job_id: str | None = None
) -> HouseholdMember:
    """A member read from a My Number Card: the four attributes stored exactly as read."""
    ensure_open(visit)
    if not card.name or card.sex not in ("1", "2", "9"):
        raise CardDataInvalid()
    birth_date = parse_card_birth_date(card.birth_date)
    member = HouseholdMember(
        tenant_id=visit.tenant_id,
        visit_id=visit.id,
        position=next_position(visit),
        name=card.name,
        birth_date=birth_date.isoformat(),
        sex=card.sex,
        address=card.address,
        nationality=None,
        source="card",
        attributes={},
    )
    visit.members.append(member)
    fill_defaults(visit)
    session.flush()
    _unsign(session, visit)
    add_event(session, visit, "card.read", {"member_id": member.id, "job_id": job_id})
    add_event(session, visit, "member.added", {"member_id": member.id, "source": "card"})
    return member


def get_member(visit: Visit, member_id: str) -> HouseholdMember:
    for member in visit.members:
        if member.id == member_id:
            return member
    raise MemberNotFound()


def update_member(session: Session, visit_id: str, member_id: str, body: MemberUpdate) -> Visit:
    """The member changed; the visit is returned (its answer shows the whole visit)."""
    visit = get_visit(session, visit_id)
    member = get_member(visit, member_id)
    ensure_open(visit)
    _update_member_fields(visit, member, body)
    fill_defaults(visit)
    session.flush()
    _unsign(session, visit)
    add_event(
        session,
        visit,
        "member.updated",
        {"member_id": member.id, "fields": sorted(body.model_fields_set)},
    )
    return visit


def _update_member_fields(visit: Visit, member: HouseholdMember, body: MemberUpdate) -> None:
    sent = body.model_dump(exclude_unset=True)
    refuse_in_free_text(sent)
    if member.source == "card":
        refused = [f for f in CARD_FIELDS if f in sent]
        if refused:
            raise CardFieldReadOnly(fields=refused)
    for field in ("name", "kana", "sex", "nationality", "address"):
        if field in sent:
            setattr(member, field, sent[field])
    if "birth_date" in sent:
        member.birth_date = body.birth_date.isoformat() if body.birth_date else None
    if "relationship" in sent:
        member.relationship_to_head = sent["relationship"]
    _apply_attributes(member, sent)
    _typed_by_clerk(member, sent)
    if sent.get("deceased") or sent.get("concerned"):
        _drop_impossible_filer(visit, member)


def _typed_by_clerk(member: HouseholdMember, sent: Mapping[str, Any]) -> None:
    """A field the clerk changed no longer comes from the core system (``field_sources``)."""
    attributes = dict(member.attributes or {})
    sources = attributes.get("field_sources") or {}
    kept = {k: v for k, v in sources.items() if k not in sent}
    if kept != sources:
        attributes["field_sources"] = kept
        member.attributes = attributes


def _drop_impossible_filer(visit: Visit, member: HouseholdMember) -> None:
    """A member just marked deceased (or newborn) no longer files: back to the default."""
    stored = roles.stored_roles(visit)
    if stored.get("applicant_member") == member.id and not roles.may_file(visit, member):
        stored.pop("applicant_member")
        stored.pop("applicant_relationship", None)
        visit.roles = stored


def remove_member(session: Session, visit_id: str, member_id: str) -> None:
    visit = get_visit(session, visit_id)
    member = get_member(visit, member_id)
    ensure_open(visit)
    visit.members.remove(member)
    session.flush()
    for position, other in enumerate(visit.members):
        other.position = position
    _unsign(session, visit)
    add_event(session, visit, "member.removed", {"member_id": member.id, "source": member.source})
    session.flush()


# --- the canonical record -----------------------------------------------------------------


def local_today(tenant: Tenant) -> dt.date:
    return local_today_in(tenant.timezone)


def local_today_in(timezone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(timezone)).date()


def member_record(member: HouseholdMember, visit: Visit | None = None) -> Member:
    attributes = dict(member.attributes or {})
    if visit is not None and roles.is_newborn(visit, member):
        attributes["concerned"] = True  # the newborn, even when not marked by hand
    return Member.model_validate(
        {
            "name": member.name,
            "kana": member.kana,
            "birth_date": member.birth_date,
            "sex": member.sex,
            "relationship": member.relationship_to_head,
            "nationality": member.nationality,
            "source": member.source,
            "address": member.address,
            "resident_code": member.resident_code,
            "field_sources": attributes.get("field_sources") or {},
            **{k: v for k, v in attributes.items() if k in ATTRIBUTE_FIELDS},
        }
    )


def build_record(session: Session, visit: Visit) -> VisitRecord:
    """The canonical ``madoguchi.visit/1`` record assembled from the visit's rows."""
    tenant = session.get(Tenant, visit.tenant_id)
    assert tenant is not None
    if visit.event is None:
        raise VisitIncomplete()
    filed_on = visit.filed_on or local_today(tenant)
    stored = roles.stored_roles(visit)
    return VisitRecord.model_validate(
        {
            "visit_id": visit.id,
            "tenant": TenantRef(code=tenant.code, name=tenant.name),
            "event": visit.event,
            "event_date": visit.event_date or filed_on,
            "filed_on": filed_on,
            "previous_address": visit.previous_address,
            "new_address": visit.new_address,
            "household_head": roles.household_head_name(visit),
            "new_household_head": stored.get("new_household_head"),
            "applicant": applicant_record(visit),
            "representative": stored.get("representative"),
            "members": [member_record(m, visit) for m in visit.members],
            "facts": dict(visit.facts or {}),
            "unresolved": stored.get("unresolved", []),
            "certificates": list(visit.certificates or []),
            "reception_label": reception_label(session, visit),
        }
    )


def reception_label(session: Session, visit: Visit) -> str | None:
    """The visit as people name it on paper: ticket number and day, e.g. ``A-001 2026-12-02``."""
    if visit.ticket_id is None:
        return None
    if (label := visit.__dict__.get(_TICKET_LABEL)) is not None:  # read with the visit
        return f"{label[0]} {label[1].isoformat()}"
    ticket = queue_service.find_ticket(session, visit.ticket_id)
    return f"{ticket.display_number} {ticket.service_day.isoformat()}" if ticket else None


def applicant_record(visit: Visit) -> Applicant | None:
    found = roles.filer(visit)
    if found is None:
        return None
    return Applicant(
        name=found.name,
        relationship=found.relationship,
        phone=found.phone,
        member=found.member,
        address=found.address,
    )


def visit_record(session: Session, visit_id: str, principal: Principal) -> VisitRecord:
    """The canonical record for a clerk's screen (audited, like every view of the visit)."""
    visit = get_visit(session, visit_id)
    record = build_record(session, visit)
    audit_visit(session, principal, "visit.record.view", visit)
    return record


def visit_of_ticket(session: Session, ticket_id: str) -> Visit | None:
    """The latest visit that served the ticket (the caller's tenant scoping applies)."""
    query = select(Visit).where(Visit.ticket_id == ticket_id).order_by(Visit.created_at.desc())
    return session.scalars(query.limit(1)).first()


def ticket_number(session: Session, visit: Visit) -> str | None:
    if visit.ticket_id is None:
        return None
    if (label := visit.__dict__.get(_TICKET_LABEL)) is not None:  # read with the visit
        return str(label[0])
    ticket = queue_service.find_ticket(session, visit.ticket_id)
    return ticket.display_number if ticket else None


def list_visits(
    session: Session, *, status: str | None = None, counter_id: str | None = None, limit: int = 50
) -> list[Visit]:
    query = select(Visit).options(selectinload(Visit.members)).order_by(Visit.created_at.desc())
    if status is not None:
        query = query.where(Visit.status == status)
    if counter_id is not None:
        query = query.where(Visit.counter_id == counter_id)
    return list(session.scalars(query.limit(limit)))


# --- the journey ------------------------------------------------------------------------


def _first(events: list[VisitEvent], kind: str) -> dt.datetime | None:
    return next((e.at for e in events if e.kind == kind), None)


def journey(session: Session, visit_id: str) -> Journey:
    """Wait, service time, counters, cards, forms: measured from the events, not estimated."""
    visit = get_visit(session, visit_id)
    events = list_events(session, visit)
    issued, called = _first(events, "ticket.issued"), _first(events, "ticket.called")
    opened, closed = _first(events, "visit.opened"), _first(events, "visit.closed")
    counters = {e.data.get("counter_id") for e in events if e.data.get("counter_id")}
    stored = [e for e in events if e.kind == "document.stored"]
    return Journey(
        events=[VisitEventRead.model_validate(e) for e in events],
        wait_seconds=(called - issued).total_seconds() if issued and called else None,
        service_seconds=((closed or utcnow()) - opened).total_seconds() if opened else None,
        counters_visited=len(counters),
        cards_read=sum(1 for e in events if e.kind == "card.read"),
        members_typed=sum(
            1 for e in events if e.kind == "member.added" and e.data.get("source") == "staff"
        ),
        forms=len(stored),
        fields_not_handwritten=sum(int(e.data.get("prefilled_fields", 0)) for e in stored),
    )
