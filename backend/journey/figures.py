"""Small statistics the report shares: percentiles, rounding, labels of life events.

Percentiles use linear interpolation between the closest ranks (numpy's default, Excel's
PERCENTILE.INC): the median of 1, 2, 3, 10 is 2.5 and its 90th percentile 7.9.
"""

from __future__ import annotations

from collections.abc import Sequence

EVENT_LABELS: dict[str, tuple[str, str]] = {
    "moving-in": ("転入", "Moving in"),
    "moving-out": ("転出", "Moving out"),
    "moving-within": ("転居", "Moving within"),
    "birth": ("出生", "Birth"),
    "death": ("死亡", "Death"),
    "marriage": ("婚姻", "Marriage"),
    "divorce": ("離婚", "Divorce"),
    "household-change": ("世帯変更", "Household change"),
    "certificate": ("証明書", "Certificates"),
}
EVENTS = tuple(EVENT_LABELS)


def event_label(event: str, lang: str = "ja") -> str:
    ja, en = EVENT_LABELS.get(event, (event, event))
    return en if lang == "en" else ja


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of values already sorted ascending (None when empty)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    weight = position - lower
    return sorted_values[lower] * (1 - weight) + sorted_values[upper] * weight


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
