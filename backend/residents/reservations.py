"""Reservations (来庁予約): slots per queue and purpose, booked by a resident or a clerk,
checked in at the ticket machine (QR or number) where they become a ticket — a priority
ticket when the municipality says a reservation is called first — cancelled, or a no-show
``no_show_grace_minutes`` after the slot began without a check-in.

No-shows are computed when anyone looks (the day's list, a check-in) and by a worker job, so
the state is right whether or not the worker runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Tenant
from backend.platform.access import Principal
from backend.platform.audit import service as audit
from backend.platform.db import session_scope, utcnow
from backend.platform.settings import get_settings
from backend.queue import screens as queue_screens
from backend.queue import service as queue_service
from backend.queue.models import Queue, Ticket
from backend.queue.schemas import TicketCreate
from backend.residents.errors import (
    AlreadyBooked,
    ReservationClosed,
    ReservationNotFound,
    SlotFull,
    SlotNotFound,
    SlotPast,
)
from backend.residents.models import (
    HOLDING,
    Reservation,
    ReservationSlot,
    ReservationStatus,
    ResidentServiceSettings,
)
from backend.residents.schemas import (
    ReservationCreate,
    ReservationIssued,
    ReservationRead,
    SlotsCreate,
    SlotView,
)
from backend.residents.service import event_label, qr_svg, settings_of

R = ReservationStatus
CODE_PREFIX = "RV-"
BOOKING_HORIZON_DAYS = 92


def _zone(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.timezone)


def _phone_digest(tenant_id: str, phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, f"{tenant_id}\n{digits}".encode(), hashlib.sha256).hexdigest()


# --- slots --------------------------------------------------------------------------------


def _taken(session: Session, slot_ids: list[str]) -> dict[str, int]:
    if not slot_ids:
        return {}
    rows = session.execute(
        select(Reservation.slot_id, func.count())
        .where(Reservation.slot_id.in_(slot_ids), Reservation.status.in_(HOLDING))
        .group_by(Reservation.slot_id)
    )
    return {slot_id: int(count) for slot_id, count in rows}


def _view(slot: ReservationSlot, taken: int, lang: str) -> SlotView:
    return SlotView(
        id=slot.id,
        queue_id=slot.queue_id,
        purpose=slot.purpose,
        label=slot.label if lang == "ja" else event_label(slot.purpose, lang),
        label_ja=slot.label,
        starts_at=slot.starts_at,
        minutes=slot.minutes,
        capacity=slot.capacity,
        remaining=max(slot.capacity - taken, 0),
    )


def list_slots(
    session: Session,
    *,
    lang: str = "ja",
    purpose: str | None = None,
    now: dt.datetime | None = None,
    include_past: bool = False,
) -> list[SlotView]:
    now = now or utcnow()
    query = select(ReservationSlot).order_by(ReservationSlot.starts_at, ReservationSlot.label)
    if not include_past:
        query = query.where(
            ReservationSlot.starts_at > now,
            ReservationSlot.starts_at < now + dt.timedelta(days=BOOKING_HORIZON_DAYS),
        )
    if purpose:
        query = query.where(ReservationSlot.purpose == purpose)
    slots = list(session.scalars(query.limit(2000)))
    taken = _taken(session, [s.id for s in slots])
    return [_view(s, taken.get(s.id, 0), lang) for s in slots]


def create_slots(session: Session, tenant: Tenant, body: SlotsCreate) -> int:
    """Slots for every chosen weekday and time in the range; existing ones are kept."""
    queue_service.get_queue(session, body.queue_id)  # of this tenant, or 404
    if body.last_day < body.first_day or (body.last_day - body.first_day).days > 366:
        raise SlotNotFound("期間の指定が正しくありません（最大1年）。", code="slot_range_invalid")
    existing = set(
        session.scalars(
            select(ReservationSlot.starts_at).where(
                ReservationSlot.queue_id == body.queue_id, ReservationSlot.purpose == body.purpose
            )
        )
    )
    zone, created = _zone(tenant), 0
    day = body.first_day
    while day <= body.last_day:
        if day.weekday() in body.weekdays:
            for hhmm in sorted(set(body.times)):
                local = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=zone)
                starts_at = local.astimezone(dt.UTC)
                if starts_at in existing:
                    continue
                session.add(
                    ReservationSlot(
                        tenant_id=tenant.id,
                        queue_id=body.queue_id,
                        purpose=body.purpose,
                        label=body.label,
                        starts_at=starts_at,
                        minutes=body.minutes,
                        capacity=body.capacity,
                    )
                )
                created += 1
        day += dt.timedelta(days=1)
    session.flush()
    return created


def delete_slot(session: Session, slot_id: str) -> None:
    slot = _slot(session, slot_id)
    if _taken(session, [slot.id]).get(slot.id):
        raise ReservationClosed("予約が入っている枠は削除できません。", code="slot_in_use")
    session.delete(slot)
    session.flush()


def _slot(session: Session, slot_id: str, *, for_update: bool = False) -> ReservationSlot:
    query = select(ReservationSlot).where(ReservationSlot.id == slot_id)
    if for_update:
        query = query.with_for_update()
    slot = session.scalars(query).one_or_none()
    if slot is None:
        raise SlotNotFound()
    return slot


# --- booking ------------------------------------------------------------------------------


def _new_number(session: Session) -> str:
    for _ in range(20):
        number = f"{secrets.randbelow(900000) + 100000}"
        clash = session.scalar(select(Reservation.id).where(Reservation.number == number))
        if clash is None:
            return number
    raise SlotFull("予約番号を割り当てられませんでした。", code="number_exhausted")


def _refuse_double(
    session: Session, tenant: Tenant, slot: ReservationSlot, digest: str | None
) -> None:
    """One holding reservation per phone number, purpose and day."""
    if digest is None:
        return
    zone = _zone(tenant)
    local_day = slot.starts_at.astimezone(zone).date()
    start = dt.datetime.combine(local_day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    same_day = session.scalar(
        select(Reservation.id)
        .join(ReservationSlot, ReservationSlot.id == Reservation.slot_id)
        .where(
            Reservation.phone_digest == digest,
            Reservation.status.in_(HOLDING),
            ReservationSlot.purpose == slot.purpose,
            ReservationSlot.starts_at >= start,
            ReservationSlot.starts_at < start + dt.timedelta(days=1),
        )
        .limit(1)
    )
    if same_day is not None:
        raise AlreadyBooked()


def book(
    session: Session,
    tenant: Tenant,
    body: ReservationCreate,
    *,
    booked_by: str,
    now: dt.datetime | None = None,
) -> ReservationIssued:
    now = now or utcnow()
    slot = _slot(session, body.slot_id, for_update=True)  # bookings of one slot one at a time
    if slot.starts_at <= now:
        raise SlotPast()
    taken = _taken(session, [slot.id]).get(slot.id, 0)
    if taken >= slot.capacity:
        raise SlotFull()
    digest = _phone_digest(tenant.id, body.phone) if body.phone else None
    _refuse_double(session, tenant, slot, digest)
    reservation = Reservation(
        tenant_id=tenant.id,
        slot_id=slot.id,
        number=_new_number(session),
        code=CODE_PREFIX + secrets.token_urlsafe(12),
        status=R.BOOKED.value,
        lang=body.lang,
        phone=body.phone,
        phone_digest=digest,
        booked_by=booked_by,
    )
    session.add(reservation)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant.id,
        action="reservation.booked",
        actor=booked_by,
        detail={"reservation_id": reservation.id, "slot_id": slot.id},
    )
    return ReservationIssued(
        number=reservation.number,
        code=reservation.code,
        status=reservation.status,
        slot=_view(slot, taken + 1, body.lang),
        qr_svg=qr_svg(reservation.code),
    )


def _find(session: Session, code_or_number: str) -> Reservation:
    text = code_or_number.strip()
    column = Reservation.number if text.isdigit() else Reservation.code
    found = session.scalars(
        select(Reservation).where(column == text).with_for_update()
    ).one_or_none()
    if found is None:
        raise ReservationNotFound()
    return found


def cancel(
    session: Session,
    *,
    code: str | None = None,
    reservation_id: str | None = None,
    actor: str,
    now: dt.datetime | None = None,
) -> ReservationRead:
    """Cancel (a resident by the QR's code, a clerk by id); only a booked reservation."""
    now = now or utcnow()
    if reservation_id is not None:
        reservation = session.get(Reservation, reservation_id, with_for_update=True)
        if reservation is None or reservation.tenant_id != session.info.get("tenant_id"):
            raise ReservationNotFound()
    else:
        if not code or not code.startswith(CODE_PREFIX):
            raise ReservationNotFound()
        reservation = _find(session, code)
    if reservation.status != R.BOOKED.value:
        raise ReservationClosed()
    reservation.status = R.CANCELLED.value
    reservation.cancelled_at = now
    session.flush()
    audit.record(
        session,
        tenant_id=reservation.tenant_id,
        action="reservation.cancelled",
        actor=actor,
        detail={"reservation_id": reservation.id},
    )
    return _read(session, reservation, _slot(session, reservation.slot_id))


# --- no-shows and the day -----------------------------------------------------------------


def mark_no_shows(session: Session, now: dt.datetime | None = None) -> int:
    """Booked reservations not checked in ``no_show_grace_minutes`` after their start."""
    now = now or utcnow()
    rows = session.execute(
        select(
            Reservation, ReservationSlot.starts_at, ResidentServiceSettings.no_show_grace_minutes
        )
        .join(ReservationSlot, ReservationSlot.id == Reservation.slot_id)
        .outerjoin(
            ResidentServiceSettings,
            ResidentServiceSettings.tenant_id == Reservation.tenant_id,
        )
        .where(Reservation.status == R.BOOKED.value, ReservationSlot.starts_at < now)
    ).all()
    marked = 0
    for reservation, starts_at, grace in rows:
        if starts_at + dt.timedelta(minutes=15 if grace is None else grace) < now:
            reservation.status = R.NO_SHOW.value
            marked += 1
    session.flush()
    return marked


def no_show_job() -> int:
    with session_scope(write=True, unscoped=True) as session:
        return mark_no_shows(session)


def _read(session: Session, reservation: Reservation, slot: ReservationSlot) -> ReservationRead:
    ticket = session.get(Ticket, reservation.ticket_id) if reservation.ticket_id else None
    return ReservationRead(
        id=reservation.id,
        number=reservation.number,
        status=reservation.status,
        lang=reservation.lang,
        starts_at=slot.starts_at,
        purpose=slot.purpose,
        label=slot.label,
        queue_id=slot.queue_id,
        booked_by=reservation.booked_by,
        ticket_number=ticket.display_number if ticket else None,
        phone=reservation.phone,
    )


def day_list(
    session: Session, tenant: Tenant, day: dt.date | None = None, now: dt.datetime | None = None
) -> list[ReservationRead]:
    """The day's reservations, in slot order, for the counter (phone numbers included)."""
    now = now or utcnow()
    mark_no_shows(session, now)
    zone = _zone(tenant)
    day = day or now.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    rows = session.execute(
        select(Reservation, ReservationSlot)
        .join(ReservationSlot, ReservationSlot.id == Reservation.slot_id)
        .where(
            ReservationSlot.starts_at >= start,
            ReservationSlot.starts_at < start + dt.timedelta(days=1),
        )
        .order_by(ReservationSlot.starts_at, Reservation.created_at)
    ).all()
    return [_read(session, reservation, slot) for reservation, slot in rows]


# --- check-in at the ticket machine -------------------------------------------------------


def check_in(
    session: Session, principal: Principal, code_or_number: str, now: dt.datetime | None = None
) -> queue_screens.TicketToPrint:
    """The reservation becomes a ticket of its slot's queue (priority by the municipality's
    rule), once, on its day until the grace time has passed; printed once committed
    (``queue_screens.print_issued``)."""
    now = now or utcnow()
    mark_no_shows(session, now)
    reservation = _find(session, code_or_number)
    if reservation.status != R.BOOKED.value:
        raise ReservationClosed()
    slot = _slot(session, reservation.slot_id)
    tenant = session.get(Tenant, reservation.tenant_id)
    assert tenant is not None
    zone = _zone(tenant)
    if slot.starts_at.astimezone(zone).date() != now.astimezone(zone).date():
        raise ReservationClosed("予約の日ではありません。", code="reservation_not_today")
    rules = settings_of(session, tenant.id)
    # The ticket in the reservation's language: its slip, phone page and tablet follow it.
    ticket = {"queue_id": slot.queue_id, "priority": rules.reserved_first, "lang": reservation.lang}
    issued = queue_screens.issue(session, principal, TicketCreate.model_validate(ticket))
    reservation.status = R.CHECKED_IN.value
    reservation.checked_in_at = now
    reservation.ticket_id = issued.ticket.id
    session.flush()
    audit.record(
        session,
        tenant_id=tenant.id,
        action="reservation.checked_in",
        actor=principal.actor,
        detail={"reservation_id": reservation.id, "ticket": issued.ticket.display_number},
    )
    return issued


def queue_names(session: Session) -> dict[str, str]:
    return {q.id: q.name_ja for q in session.scalars(select(Queue))}
