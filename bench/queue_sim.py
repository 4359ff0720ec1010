"""Waiting-time estimate vs the naive one on 5 seeded simulated days (target ratio ≤ 0.75 each).

Run: .venv/bin/python bench/queue_sim.py   (the same as `madoguchi queue simulate --seed N --json`)
Exit 1 if any seed misses the target.
"""

from __future__ import annotations

import sys

from backend.queue.simulation import simulate_day

SEEDS = (1, 2, 3, 4, 5)
TARGET = 0.75


def main() -> int:
    print("seed tickets mean_wait  MAE_estimate  MAE_naive  MAE_per_counter  ratio")
    worst = 0.0
    for seed in SEEDS:
        r = simulate_day(seed)
        worst = max(worst, r["ratio"])
        print(
            f"{seed:>4} {r['tickets']:>7} {r['mean_wait_minutes']:>9.1f} "
            f"{r['mae_estimate_minutes']:>13.2f} {r['mae_naive_minutes']:>10.2f} "
            f"{r['mae_per_counter_formula_minutes']:>16.2f} {r['ratio']:>6.3f}"
        )
    verdict = "OK" if worst <= TARGET else "MISSED"
    print(f"worst ratio {worst:.3f} (target ≤ {TARGET}): {verdict}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
