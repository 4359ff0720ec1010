import datetime as dt

import pytest
from sqlalchemy.orm import Session

from backend.queue import service
from backend.queue.errors import OutsideOpeningHours, TicketStillCalled
from backend.queue.models import TicketStatus
from tests.backend.queue.conftest import MORNING, DemoOffice

MIN = dt.timedelta(minutes=1)


def test_numbers_per_queue_with_prefix(db: Session, office: DemoOffice) -> None:
    a1 = service.issue_ticket(db, queue_id=office.queues["A"].id, now=MORNING)
    b1 = service.issue_ticket(db, queue_id=office.queues["B"].id, now=MORNING + MIN)
    a2 = service.issue_ticket(db, queue_id=office.queues["A"].id, now=MORNING + 2 * MIN)
    assert [a1.display_number, b1.display_number, a2.display_number] == ["A-001", "B-001", "A-002"]
    assert len({a1.follow_token, b1.follow_token, a2.follow_token}) == 3


def test_numbers_restart_at_midnight_in_tokyo(db: Session, office: DemoOffice) -> None:
    office.office.opens_at, office.office.closes_at = "00:00", "24:00"
    queue_id = office.queues["B"].id
    # 14:59 UTC is 23:59 in Tokyo; 15:00 UTC is the next day there (but still the same UTC day).
    late = service.issue_ticket(
        db, queue_id=queue_id, now=dt.datetime(2026, 11, 24, 14, 59, tzinfo=dt.UTC)
    )
    later = service.issue_ticket(
        db, queue_id=queue_id, now=dt.datetime(2026, 11, 24, 14, 59, 30, tzinfo=dt.UTC)
    )
    next_day = service.issue_ticket(
        db, queue_id=queue_id, now=dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    )
    assert (late.number, later.number, next_day.number) == (1, 2, 1)
    assert next_day.service_day == dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("utc", "fragment"),
    [(dt.datetime(2026, 11, 23, 23, 0, tzinfo=dt.UTC), "08:30 から"),  # 08:00 JST
     (dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC), "17:15 で終了")],  # 17:30 JST
)  # fmt: skip
def test_issuing_refused_outside_opening_hours(
    db: Session, office: DemoOffice, utc: dt.datetime, fragment: str
) -> None:
    with pytest.raises(OutsideOpeningHours) as caught:
        service.issue_ticket(db, queue_id=office.queues["A"].id, now=utc)
    assert fragment in caught.value.message
    assert caught.value.details["message_en"]


def test_queue_can_stop_issuing_before_the_office_closes(db: Session, office: DemoOffice) -> None:
    office.queues["A"].issue_closes_at = "16:00"
    at_1630 = dt.datetime(2026, 11, 24, 7, 30, tzinfo=dt.UTC)
    with pytest.raises(OutsideOpeningHours):
        service.issue_ticket(db, queue_id=office.queues["A"].id, now=at_1630)
    assert service.issue_ticket(db, queue_id=office.queues["B"].id, now=at_1630).number == 1


def test_call_next_takes_priority_then_oldest_across_the_counters_queues(
    db: Session, office: DemoOffice
) -> None:
    q = office.queues
    b_old = service.issue_ticket(db, queue_id=q["B"].id, now=MORNING)
    a_mid = service.issue_ticket(db, queue_id=q["A"].id, now=MORNING + MIN)
    c_first = service.issue_ticket(db, queue_id=q["C"].id, now=MORNING - MIN)  # not counter 1's
    b_priority = service.issue_ticket(db, queue_id=q["B"].id, priority=True, now=MORNING + 2 * MIN)
    counter = office.counters["1"].id  # serves A and B
    order = []
    for step in range(3):
        ticket = service.call_next(db, counter, now=MORNING + (10 + step) * MIN)
        order.append(ticket.id if ticket else None)
        if ticket:
            service.finish(db, ticket.id, now=MORNING + (10 + step) * MIN)
    assert order == [b_priority.id, b_old.id, a_mid.id]
    assert c_first.status == TicketStatus.WAITING.value


def test_a_called_ticket_must_be_settled_before_the_next_call(
    db: Session, office: DemoOffice
) -> None:
    service.issue_ticket(db, queue_id=office.queues["B"].id, now=MORNING)
    service.issue_ticket(db, queue_id=office.queues["B"].id, now=MORNING)
    first = service.call_next(db, office.counters["3"].id, now=MORNING + MIN)
    assert first is not None
    with pytest.raises(TicketStillCalled):
        service.call_next(db, office.counters["3"].id, now=MORNING + 2 * MIN)
    service.start_serving(db, first.id, now=MORNING + 2 * MIN)
    second = service.call_next(db, office.counters["3"].id, now=MORNING + 9 * MIN)
    assert second is not None and second.id != first.id
    assert first.status == TicketStatus.DONE.value  # "next" after serving ends that service


def test_no_show_after_the_configured_number_of_calls(db: Session, office: DemoOffice) -> None:
    office.queues["B"].max_calls = 2
    service.issue_ticket(db, queue_id=office.queues["B"].id, now=MORNING)
    ticket = service.call_next(db, office.counters["3"].id, now=MORNING + MIN)
    assert ticket is not None
    service.recall(db, ticket.id, now=MORNING + 2 * MIN)
    assert (ticket.status, ticket.call_count) == ("called", 2)
    service.recall(db, ticket.id, now=MORNING + 3 * MIN)
    assert ticket.status == TicketStatus.NO_SHOW.value
    kinds = [e.kind for e in service.ticket_journey(db, ticket.id)]
    assert kinds == ["issued", "called", "recalled", "no_show"]


def test_transfer_keeps_the_ticket_and_its_issue_time(db: Session, office: DemoOffice) -> None:
    q = office.queues
    moving_in = service.issue_ticket(db, queue_id=q["A"].id, now=MORNING)
    insurance_later = service.issue_ticket(db, queue_id=q["C"].id, now=MORNING + 5 * MIN)
    called = service.call_next(db, office.counters["1"].id, now=MORNING + 6 * MIN)
    assert called is not None and called.id == moving_in.id
    service.start_serving(db, called.id, now=MORNING + 7 * MIN)
    moved = service.transfer(db, called.id, q["C"].id, now=MORNING + 20 * MIN)
    assert (moved.id, moved.display_number, moved.issued_at) == (
        moving_in.id,
        "A-001",
        MORNING,
    )
    assert moved.status == TicketStatus.TRANSFERRED.value and moved.queue_id == q["C"].id
    # the 国保 counter calls the transferred resident before the later C ticket
    next_at_5 = service.call_next(db, office.counters["5"].id, now=MORNING + 21 * MIN)
    assert next_at_5 is not None and next_at_5.id == moving_in.id
    assert insurance_later.status == TicketStatus.WAITING.value
    kinds = [e.kind for e in service.ticket_journey(db, moving_in.id)]
    assert kinds == ["issued", "called", "serving", "transferred", "called"]


def test_closed_counter_cannot_call(db: Session, office: DemoOffice) -> None:
    from backend.queue.errors import CounterClosed

    service.set_counter_open(db, office.counters["3"].id, False)
    with pytest.raises(CounterClosed):
        service.call_next(db, office.counters["3"].id, now=MORNING)
