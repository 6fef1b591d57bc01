"""Item and class statistics as Moodle's quiz statistics report computes them (pure, no I/O).

Facility index: the mean score on the item, as a percentage (how easy it is).
Discrimination index: the correlation between the score on the item and the score on the rest of
the test (total minus this item), as a percentage: do learners who do well overall get it right?
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ItemStatistics:
    item_id: str
    attempts: int
    facility: float | None  # percent
    discrimination: float | None  # percent; None when it cannot be computed (too few, no spread)


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def item_statistics(responses: Sequence[Mapping[str, bool]]) -> list[ItemStatistics]:
    """`responses`: one mapping per attempt, item id -> answered correctly (items not delivered absent)."""
    item_ids = sorted({item for attempt in responses for item in attempt})
    totals = [sum(attempt.values()) for attempt in responses]
    stats = []
    for item in item_ids:
        scored = [
            (float(attempt[item]), total)
            for attempt, total in zip(responses, totals, strict=True)
            if item in attempt
        ]
        scores = [score for score, _ in scored]
        rest = [total - score for score, total in scored]
        facility = 100 * sum(scores) / len(scores) if scores else None
        correlation = _pearson(scores, rest)
        stats.append(
            ItemStatistics(item, len(scores), facility, None if correlation is None else 100 * correlation)
        )
    return stats


def histogram(values: Sequence[float], bins: int = 10) -> list[int]:
    """Counts of scores (0..1) in `bins` equal bands; a perfect score falls in the last band."""
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(value * bins))] += 1
    return counts
