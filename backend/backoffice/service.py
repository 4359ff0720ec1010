"""The case workbench: cases opened at the hand-off, their work items, search, and outcomes.

- ``open_case`` is called by the hand-off (``backend.counter.handoff``) in the transaction
  that closes the visit: one case per visit, one work item per procedure and department, and
  every character of a name or address the core system cannot hold, with its substitute.
- A change of a work item's state (``states.py``) is written to the visit's journey, to the
  audit log and to the outbox (topic ``workitem``, for the destinations that ask for it), all
  in the caller's transaction, so the pull feed sees the changes in commit order.
- Searching by name or birth date decrypts the stored records server-side and needs
  ``case.search_personal``; every search is audited (with what was searched by, never the
  searched value).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from backend.backoffice.models import Case, WorkItem
from backend.backoffice.schemas import (
    CaseDetail,
    CaseFilters,
    CaseSummary,
    CharacterFlag,
    DeadlineState,
    JourneyStep,
    WorkItemRead,
)
from backend.backoffice.states import OPEN_STATES, WorkItemAction, WorkItemState, next_state
from backend.counter import service as visits
from backend.identity.tenants.models import Tenant
from backend.platform import request_memo
from backend.platform.access import Permission, Principal
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, Forbidden, NotFound
from backend.platform.outbox import service as outbox
from backend.platform.outbox.models import Destination
from backend.platform.outbox.topics import Topic, register_topic
from contracts.guidance import ProcedureResult
from contracts.handoff import DocumentLink
from contracts.visit import TenantRef, VisitRecord
from contracts.workitem import WorkItemEvent
from integrations import charset

TOPIC = "workitem"
register_topic(Topic(TOPIC, decode=WorkItemEvent.model_validate, by_default=False))

DEFAULT_CHARSET = "jisx0208"  # most core systems: JIS X 0208 plus their own 外字
PERSONAL_SCAN = 2000  # recent cases decrypted for a search by name or birth date
WORK_ITEM_COUNT = "backoffice.work_item_count"  # request_memo key, with the visit id


# --- the hand-off opens the case -------------------------------------------------------------


def open_case(
    session: Session,
    *,
    visit_id: str,
    tenant_id: str,
    record: VisitRecord,
    procedures: Sequence[ProcedureResult],
    documents: Sequence[DocumentLink],
    destinations: Sequence[Destination] | None = None,
) -> Case:
    """The visit's case, opened at its first hand-off and brought up to date at a resend.
    ``destinations``: the tenant's enabled outbox destinations, if the caller read them."""
    set_, table = destination_charset(session, tenant_id, destinations)
    case = session.scalars(select(Case).where(Case.visit_id == visit_id)).one_or_none()
    opened = case is None
    if case is None:
        case = Case(tenant_id=tenant_id, visit_id=visit_id)
    case.reception_label = record.reception_label
    case.event, case.event_date, case.filed_on = record.event, record.event_date, record.filed_on
    case.handed_off_at = utcnow()
    case.charset = set_
    case.procedures = [p.model_dump(mode="json") for p in procedures]
    case.documents = [d.model_dump(mode="json") for d in documents]
    decided = _decisions(case)
    case.record = record.to_json_dict()
    flags = check_characters(record, set_, table)
    texts = dict(_names_and_addresses(record))
    for flag in flags:
        flag.decision = decided.get((texts.get(flag.field), flag.position, flag.original))
    case.characters = [f.model_dump() for f in flags]
    session.add(case)
    session.flush()
    items = _add_work_items(session, case, procedures, opened=opened)
    # Until the next write, the hand-off's count of work items needs no statement.
    request_memo.remember(session, (WORK_ITEM_COUNT, visit_id), items)
    return case


def _decisions(case: Case) -> dict[tuple[str | None, int, str], Any]:
    """The back office's decisions on the case's characters so far, by the text they are in,
    their position and the character: a resend keeps them for the names and addresses it did
    not change (a member added before another does not move that member's decisions)."""
    if not case.record or not case.characters:
        return {}
    texts = dict(_names_and_addresses(VisitRecord.model_validate(case.record)))
    return {
        (texts.get(c["field"]), c["position"], c["original"]): c["decision"]
        for c in case.characters
        if c.get("decision")
    }


def _add_work_items(
    session: Session, case: Case, procedures: Sequence[ProcedureResult], *, opened: bool
) -> int:
    """The procedures' work items the case lacks; returns how many the case holds now. A case
    ``opened`` in this transaction has none yet (nothing to read)."""
    existing = [] if opened else _items_of(session, [case.id])
    have = {(i.procedure_id, i.department) for i in existing}
    added = 0
    for position, procedure in enumerate(procedures):
        if (procedure.id, procedure.department) in have:
            continue
        have.add((procedure.id, procedure.department))
        session.add(
            WorkItem(
                tenant_id=case.tenant_id,
                case_id=case.id,
                position=position,
                procedure_id=procedure.id,
                procedure_name=procedure.name,
                department=procedure.department,
                state=WorkItemState.RECEIVED,
                deadline=procedure.deadline,
            )
        )
        added += 1
    session.flush()
    return len(existing) + added


def destination_charset(
    session: Session, tenant_id: str, destinations: Sequence[Destination] | None = None
) -> tuple[str, dict[str, str]]:
    """The strictest character set the tenant's destinations name, and the substitution
    table: the known variants, then each destination's own (the CSV's table included).
    ``destinations``: the tenant's enabled ones, if already read."""
    named: list[str] = []
    table = dict(charset.KNOWN_SUBSTITUTES)
    if destinations is None:
        destinations = outbox.enabled_destinations(session, tenant_id)
    for destination in destinations:
        config = destination.config or {}
        if config.get("charset"):
            named.append(config["charset"])
        table.update(config.get("substitutions") or {})
    return min(named, key=charset.STRICTNESS.__getitem__, default=DEFAULT_CHARSET), table


def _names_and_addresses(record: VisitRecord) -> Iterable[tuple[str, str | None]]:
    yield "previous_address", record.previous_address
    yield "new_address", record.new_address
    yield "household_head", record.household_head
    yield "new_household_head", record.new_household_head
    if record.applicant:
        yield "applicant.name", record.applicant.name
        yield "applicant.address", record.applicant.address
    if record.representative:
        yield "representative.name", record.representative.name
        yield "representative.address", record.representative.address
    for index, member in enumerate(record.members):
        yield f"members.{index}.name", member.name
        yield f"members.{index}.address", member.address


def check_characters(record: VisitRecord, set_: str, table: dict[str, str]) -> list[CharacterFlag]:
    """Every character of a name or address outside ``set_``, with its proposed substitute."""
    flags = []
    for field, text in _names_and_addresses(record):
        for outside in charset.convert(text or "", set_, table)[1]:
            flags.append(
                CharacterFlag(
                    field=field,
                    position=outside.position,
                    original=outside.original,
                    codepoints=outside.codepoints,
                    substitute=outside.substitute,
                )
            )
    return flags


# --- reading: the list, the search, one case ------------------------------------------------


def today(session: Session, tenant_id: str) -> dt.date:
    tenant = session.get(Tenant, tenant_id)
    return visits.local_today(tenant) if tenant else dt.date.today()


def deadline_state(deadline: dt.date | None, open_: bool, day: dt.date) -> DeadlineState:
    if deadline is None or not open_:
        return "none"
    return "overdue" if deadline < day else "due"


def _item_read(item: WorkItem, day: dt.date) -> WorkItemRead:
    read = WorkItemRead.model_validate(item)
    read.deadline_state = deadline_state(item.deadline, item.state in OPEN_STATES, day)
    return read


def _items_of(session: Session, case_ids: list[str]) -> list[WorkItem]:
    if not case_ids:
        return []
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id.in_(case_ids))
            .order_by(WorkItem.case_id, WorkItem.position)
        )
    )


def work_item_count(session: Session, visit_id: str) -> int:
    """How many work items the visit's case holds (the procedures the back office took)."""
    remembered = request_memo.recall(session, (WORK_ITEM_COUNT, visit_id))
    if remembered is not request_memo.MISSING:
        return int(remembered)
    query = (
        select(func.count(WorkItem.id))
        .join(Case, Case.id == WorkItem.case_id)
        .where(Case.visit_id == visit_id)
    )
    return int(session.scalar(query) or 0)


def _summary(case: Case, items: list[WorkItem], day: dt.date) -> CaseSummary:
    open_deadlines = [i.deadline for i in items if i.deadline and i.state in OPEN_STATES]
    deadline = min(open_deadlines, default=None)
    return CaseSummary(
        id=case.id,
        visit_id=case.visit_id,
        reception_label=case.reception_label,
        event=case.event,
        event_date=case.event_date,
        filed_on=case.filed_on,
        handed_off_at=case.handed_off_at,
        deadline=deadline,
        deadline_state=deadline_state(deadline, True, day),
        characters_flagged=sum(1 for c in case.characters or [] if not c.get("decision")),
        work_items=[_item_read(i, day) for i in items],
    )


def normalize_reception(text: str) -> str:
    """``ａ－００１　2026-12-02`` → ``A-001 2026-12-02``: as typed, as printed."""
    return " ".join(unicodedata.normalize("NFKC", text).upper().split())


def _fold(text: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _case_query(filters: CaseFilters) -> Select[Case]:
    query = select(Case).order_by(Case.handed_off_at.desc())
    if filters.event:
        query = query.where(Case.event == filters.event)
    if filters.date_from:
        query = query.where(Case.filed_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Case.filed_on <= filters.date_to)
    if filters.reception:
        label = normalize_reception(filters.reception)
        query = query.where(
            (Case.reception_label == label) | Case.reception_label.startswith(f"{label} ")
        )
    item = select(WorkItem.case_id)
    if filters.department:
        item = item.where(WorkItem.department == filters.department)
    if filters.state:
        item = item.where(WorkItem.state == filters.state)
    if filters.department or filters.state:
        query = query.where(Case.id.in_(item))
    return query


def _matches_person(case: Case, filters: CaseFilters) -> bool:
    record = case.record or {}
    people = [*record.get("members", []), record.get("applicant") or {}]
    names = [_fold(p.get("name")) for p in people] + [_fold(p.get("kana")) for p in people]
    names.append(_fold(record.get("household_head")))
    if filters.name and not any(_fold(filters.name) in n for n in names if n):
        return False
    births = {p.get("birth_date") for p in people}
    return not filters.birth_date or filters.birth_date.isoformat() in births


def search_cases(session: Session, principal: Principal, filters: CaseFilters) -> list[CaseSummary]:
    """The cases the filters select, newest first; every search is audited."""
    personal = bool(filters.name or filters.birth_date)
    if personal and Permission.CASE_SEARCH_PERSONAL not in principal.permissions:
        raise Forbidden(
            "氏名・生年月日での検索は権限のある職員だけができます。", code="personal_search_denied"
        )
    day = today(session, principal.tenant_id)
    scan = PERSONAL_SCAN if personal else filters.limit * 4
    cases = list(session.scalars(_case_query(filters).limit(scan)))
    if personal:
        cases = [c for c in cases if _matches_person(c, filters)]
    by_case: dict[str, list[WorkItem]] = {}
    for item in _items_of(session, [c.id for c in cases]):
        by_case.setdefault(item.case_id, []).append(item)
    found = [_summary(c, by_case.get(c.id, []), day) for c in cases]
    if filters.deadline:
        found = [s for s in found if s.deadline_state == filters.deadline]
    found = found[: filters.limit]
    _audit_search(session, principal, filters, len(found))
    return found


def _audit_search(
    session: Session, principal: Principal, filters: CaseFilters, results: int
) -> None:
    searched_by = sorted(k for k, v in filters.model_dump(exclude={"limit"}).items() if v)
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="case.searched",
        actor=principal.actor,
        detail={"by": searched_by, "results": results},
    )


def get_case(session: Session, case_id: str) -> Case:
    case = session.scalars(select(Case).where(Case.id == case_id)).one_or_none()
    if case is None:  # the session's tenant scoping hides another municipality's cases
        raise NotFound("案件が見つかりません。", code="case_not_found")
    return case


def case_detail(session: Session, principal: Principal, case_id: str) -> CaseDetail:
    """One case with its record, procedures, documents, characters and journey (audited)."""
    case = get_case(session, case_id)
    day = today(session, principal.tenant_id)
    summary = _summary(case, _items_of(session, [case.id]), day)
    visit = visits.get_visit(session, case.visit_id)
    journey = [
        JourneyStep(kind=e.kind, at=e.at, data=e.data) for e in visits.list_events(session, visit)
    ]
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="case.viewed",
        actor=principal.actor,
        visit_id=case.visit_id,
        detail={"case": case.id},
    )
    return CaseDetail(
        **summary.model_dump(),
        charset=case.charset,
        record=case.record,
        procedures=case.procedures or [],
        documents=[_local_link(d) for d in case.documents or []],
        characters=[CharacterFlag.model_validate(c) for c in case.characters or []],
        journey=journey,
    )


def _local_link(document: dict[str, Any]) -> dict[str, Any]:
    """The document's link as this site serves it (the hand-off carries the public URL)."""
    return document | {"url": f"/api/v1/handoffs/documents/{document['id']}"}


def decide_character(
    session: Session, principal: Principal, case_id: str, index: int, decision: str
) -> CaseDetail:
    case = get_case(session, case_id)
    characters = [dict(c) for c in case.characters or []]
    if not 0 <= index < len(characters):
        raise NotFound("その文字は見つかりません。", code="character_not_found")
    characters[index]["decision"] = decision
    case.characters = characters  # a new list: the encrypted column sees the change
    session.flush()
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="case.character_decided",
        actor=principal.actor,
        visit_id=case.visit_id,
        detail={"case": case.id, "index": index, "decision": decision},
    )
    return case_detail(session, principal, case_id)


# --- outcomes: the state of a work item ------------------------------------------------------


def _locked_item(session: Session, item_id: str) -> WorkItem:
    """The item, locked until commit: two changes of one item commit one after the other,
    so its events reach the feed in the order they were made."""
    item = session.scalars(
        select(WorkItem).where(WorkItem.id == item_id).with_for_update()
    ).one_or_none()
    if item is None:
        raise NotFound("作業が見つかりません。", code="work_item_not_found")
    return item


def _who(principal: Principal) -> str:
    if principal.staff is not None:
        return principal.staff.display_name
    assert principal.device is not None
    return principal.device.name


def act(
    session: Session,
    principal: Principal,
    item_id: str,
    action: WorkItemAction,
    reason: str | None = None,
) -> WorkItemRead:
    """Take, advance, return or reopen a work item: journey, audit and event in one go."""
    item = _locked_item(session, item_id)
    case = get_case(session, item.case_id)
    previous = item.state
    after = next_state(previous, action)
    if action is WorkItemAction.ADVANCE and previous == WorkItemState.INPUT:
        _refuse_undecided(case)
    if action is WorkItemAction.TAKE:
        item.assignee_id, item.assignee_name = principal.actor, _who(principal)
    item.return_reason = reason if after == WorkItemState.RETURNED else None
    item.state = after
    if after != previous:
        item.state_changed_at = utcnow()
        _record_change(session, principal, case, item, previous)
    session.flush()
    return _item_read(item, today(session, principal.tenant_id))


def _refuse_undecided(case: Case) -> None:
    if any(not c.get("decision") for c in case.characters or []):
        raise Conflict(
            "外字の扱い（代替字か外字登録か）を決めてから入力を終えてください。",
            code="characters_undecided",
        )


def assign(
    session: Session,
    principal: Principal,
    item_id: str,
    assignee_name: str | None,
    team: str | None,
) -> WorkItemRead:
    """Give the item to a person (by name) and/or a team; its state does not change."""
    item = _locked_item(session, item_id)
    get_case(session, item.case_id)
    item.assignee_id, item.assignee_name, item.team = None, assignee_name, team
    session.flush()
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action="work_item.assigned",
        actor=principal.actor,
        detail={"work_item": item.id},
    )
    return _item_read(item, today(session, principal.tenant_id))


def _record_change(
    session: Session, principal: Principal, case: Case, item: WorkItem, previous: str
) -> None:
    change = {
        "work_item": item.id,
        "procedure": item.procedure_name,
        "department": item.department,
        "from": previous,
        "to": item.state,
        "by": principal.actor,
    }
    visit = visits.get_visit(session, case.visit_id)
    visits.add_event(session, visit, f"work_item.{item.state}", change)
    audit.record(
        session,
        tenant_id=principal.tenant_id,
        action=f"work_item.{item.state}",
        actor=principal.actor,
        visit_id=case.visit_id,
        detail={"work_item": item.id, "from": previous},
    )
    tenant = session.get(Tenant, case.tenant_id)
    assert tenant is not None
    ref = TenantRef(code=tenant.code, name=tenant.name)
    outbox.enqueue(
        session,
        tenant_id=case.tenant_id,
        topic=TOPIC,
        key=item.id,
        payload=lambda envelope: _event(envelope, ref, case, item, previous).to_json_dict(),
    )


def _event(
    envelope: outbox.Envelope, tenant: TenantRef, case: Case, item: WorkItem, previous: str
) -> WorkItemEvent:
    return WorkItemEvent.model_validate(
        {
            "idempotency_key": envelope.idempotency_key,
            "version": envelope.version,
            "visit_id": case.visit_id,
            "tenant": tenant,
            "destination": envelope.destination,
            "created_at": envelope.created_at,
            "case_id": case.id,
            "work_item_id": item.id,
            "reception_label": case.reception_label,
            "procedure_id": item.procedure_id,
            "procedure_name": item.procedure_name,
            "department": item.department,
            "state": item.state,
            "previous_state": previous,
            "assignee": item.assignee_name,
            "team": item.team,
            "returned": item.state == WorkItemState.RETURNED,
        }
    )


# --- what the counter sees ----------------------------------------------------------------------


def visit_work_items(session: Session, principal: Principal, visit_id: str) -> list[WorkItemRead]:
    """The state of each work item of a visit's case (empty before the hand-off)."""
    visits.get_visit(session, visit_id)  # 404 for an unknown or foreign visit
    case = session.scalars(select(Case).where(Case.visit_id == visit_id)).one_or_none()
    if case is None:
        return []
    day = today(session, principal.tenant_id)
    return [_item_read(i, day) for i in _items_of(session, [case.id])]


def follow_outcome(
    session: Session, tenant_id: str, ticket_id: str
) -> Literal["processing", "done"] | None:
    """What the resident's follow page may say of the back office's work on the ticket's
    visit: None unless the municipality shows it (``Tenant.follow_shows_outcome``) and the
    visit was handed off; ``done`` once every work item is 完了, else ``processing`` (a return
    to the counter is the counter's business: still 処理中 for the resident)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or not tenant.follow_shows_outcome:
        return None  # the default: one primary-key read, nothing else
    visit = visits.visit_of_ticket(session, ticket_id)
    if visit is None:
        return None
    case = session.scalars(select(Case).where(Case.visit_id == visit.id)).one_or_none()
    items = _items_of(session, [case.id]) if case else []
    if not items:
        return None
    return "done" if all(i.state == WorkItemState.DONE for i in items) else "processing"


def returned_items(session: Session, principal: Principal) -> list[CaseSummary]:
    """The cases with an item returned to the counter, newest return first."""
    return search_cases(session, principal, CaseFilters(state=WorkItemState.RETURNED))


# --- retention ---------------------------------------------------------------------------------


def purge_case(session: Session, visit_id: str) -> int:
    """Drop the personal data the visit's case holds (with the visit's, by the retention pass):
    the record, the characters, the guidance result and the reasons of returns. The states,
    dates and the 受付番号 stay, as the journey does. Returns 1 if there was a case."""
    case_ids = list(session.scalars(select(Case.id).where(Case.visit_id == visit_id)))
    if not case_ids:
        return 0
    session.execute(
        update(Case)
        .where(Case.id.in_(case_ids))
        .values(record=None, characters=None, procedures=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(WorkItem)
        .where(WorkItem.case_id.in_(case_ids))
        .values(return_reason=None)
        .execution_options(synchronize_session=False)
    )
    return len(case_ids)
