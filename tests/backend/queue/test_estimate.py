from backend.queue.estimate import (
    CounterState,
    QueueSnapshot,
    QueueStats,
    WaitingTicket,
    estimate_waits,
    expected_service_minutes,
)
from backend.queue.simulation import simulate_day


def _snapshot(counters: list[CounterState], waiting: list[WaitingTicket]) -> QueueSnapshot:
    return QueueSnapshot(
        now=0.0,
        queues={"A": QueueStats("A", 20.0), "B": QueueStats("B", 5.0)},
        counters=counters,
        waiting=waiting,
    )


def test_recent_services_pull_the_mean_away_from_the_default() -> None:
    assert expected_service_minutes(QueueStats("B", 6.0)) == 6.0
    assert expected_service_minutes(QueueStats("B", 6.0, (12.0,) * 12)) > 10.0


def test_two_counters_halve_the_wait_and_busy_counters_count() -> None:
    waiting = [WaitingTicket(f"b{i}", "B", issued_at=-10 + i) for i in range(4)]
    one = estimate_waits(_snapshot([CounterState("1", frozenset({"B"}))], waiting))
    two = estimate_waits(
        _snapshot(
            [CounterState("1", frozenset({"B"})), CounterState("2", frozenset({"B"}))], waiting
        )
    )
    assert [one[f"b{i}"] for i in range(4)] == [0.0, 5.0, 10.0, 15.0]
    assert [two[f"b{i}"] for i in range(4)] == [0.0, 0.0, 5.0, 5.0]
    busy = estimate_waits(
        _snapshot(
            [CounterState("1", frozenset({"B"}), busy_queue_id="A", busy_since=-5.0)], waiting
        )
    )
    assert busy["b0"] == 15.0  # 20-minute 転入 started 5 minutes ago


def test_priority_ticket_is_estimated_first() -> None:
    waiting = [
        WaitingTicket("old", "B", issued_at=-10),
        WaitingTicket("urgent", "B", issued_at=-1, priority=True),
    ]
    waits = estimate_waits(_snapshot([CounterState("1", frozenset({"B"}))], waiting))
    assert waits["urgent"] < waits["old"]


def test_simulation_is_reproducible_and_beats_the_naive_estimate() -> None:
    first, again = simulate_day(7), simulate_day(7)
    assert first == again
    assert first["tickets"] > 50
    assert first["mae_estimate_minutes"] < first["mae_naive_minutes"]
