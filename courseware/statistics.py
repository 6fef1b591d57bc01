"""Item and test statistics as Moodle's quiz statistics report computes them (pure, no I/O).

Moodle's definitions (docs.moodle.org "Quiz statistics calculations" / "Quiz report statistics",
and question/classes/statistics/questions/calculator.php), with sample (n - 1) variances throughout:

Per item (scores 0..1 here: one mark per item):
- Facility index F = 100 * mean score: how easy the item is.
- Standard deviation SD of the item's scores.
- Discrimination index D = 100 * correlation(item score, rest of test), where rest = the attempt's
  total minus this item: do learners who do well on the rest get this item right?
- Discriminative efficiency E = 100 * cov(item, rest) / cov_max, where cov_max is the covariance of
  the item scores and rest scores each sorted ascending (the largest covariance those two
  distributions allow): D as a share of the best D this item could reach.

Per test (one score per *slot*, a position of the test; an attempt's total is the sum of its slots):
- CIC (coefficient of internal consistency, Cronbach's alpha; KR-20 for right/wrong items)
  = 100 * p / (p - 1) * (1 - sum of slot variances / variance of totals), p = number of slots.
- Error ratio ER = 100 * sqrt(1 - CIC / 100): the share of the SD of totals due to chance.
- Standard error SE = ER / 100 * SD of totals (in marks).

Flags follow Moodle's guidance: a test with CIC below 64% is "unsatisfactory"; an item with
facility outside 30-80%, a discrimination index below 10% (0.1), or (Moodle's own "needs checking"
rule in the statistics table) a discriminative efficiency below 15%.

Moodle analyses each learner's first attempt by default: later attempts build on the first and
break the assumptions behind item analysis (`first_attempts`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

CIC_UNSATISFACTORY = 64.0  # percent: below it Moodle's guide calls the test unsatisfactory
FACILITY_RANGE = (30.0, 80.0)  # percent: outside it an item is too hard or too easy to discriminate
DISCRIMINATION_MIN = 10.0  # percent (0.1): below it the item barely separates strong from weak
EFFICIENCY_MIN = 15.0  # percent: Moodle's statistics table marks such an item "needs checking"


@dataclass(frozen=True)
class ItemStatistics:
    item_id: str
    attempts: int
    facility: float | None  # percent
    discrimination: float | None  # percent; None when it cannot be computed (too few, no spread)
    sd: float | None = None  # of the item's scores (0..1), sample
    efficiency: float | None = None  # discriminative efficiency, percent
    flags: tuple[str, ...] = field(default=())  # why an instructor should look at this item


@dataclass(frozen=True)
class QuizStatistics:
    attempts: int
    slots: int
    mean: float | None  # marks (correct answers)
    sd: float | None  # marks, sample
    cic: float | None  # percent
    error_ratio: float | None  # percent
    standard_error: float | None  # marks
    flags: tuple[str, ...] = ()


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _covariance(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Sample covariance (n - 1), as Moodle divides its sums by s - 1."""
    mean_x, mean_y = _mean(xs), _mean(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def _item(item_id: str, scores: list[float], rest: list[float]) -> ItemStatistics:
    n = len(scores)
    facility = 100 * _mean(scores) if scores else None
    sd = discrimination = efficiency = None
    if n > 1:
        var_item, var_rest = _covariance(scores, scores), _covariance(rest, rest)
        cov = _covariance(scores, rest)
        sd = math.sqrt(var_item)
        if var_item * var_rest:
            discrimination = 100 * cov / math.sqrt(var_item * var_rest)
        cov_max = _covariance(sorted(scores), sorted(rest))
        if cov_max:
            efficiency = 100 * cov / cov_max
    return ItemStatistics(item_id, n, facility, discrimination, sd, efficiency)


def item_flags(stat: ItemStatistics) -> tuple[str, ...]:
    """Moodle's guidance, one reason per rule broken (nothing is said of what was not computed)."""
    flags = []
    low, high = FACILITY_RANGE
    if stat.facility is not None and stat.facility < low:
        flags.append(f"Facility index {stat.facility:.0f}% is below {low:.0f}%: very hard for this group.")
    if stat.facility is not None and stat.facility > high:
        flags.append(f"Facility index {stat.facility:.0f}% is above {high:.0f}%: very easy for this group.")
    if stat.discrimination is not None and stat.discrimination < DISCRIMINATION_MIN:
        what = "negative: stronger learners do worse on it" if stat.discrimination < 0 else "very weak"
        flags.append(
            f"Discrimination index {stat.discrimination:.0f}% is below {DISCRIMINATION_MIN:.0f}% ({what})."
        )
    if stat.efficiency is not None and stat.efficiency < EFFICIENCY_MIN:
        flags.append(
            f"Discriminative efficiency {stat.efficiency:.0f}% is below {EFFICIENCY_MIN:.0f}% "
            "(Moodle marks such an item 'needs checking')."
        )
    return tuple(flags)


def item_statistics(responses: Sequence[Mapping[str, bool | float]]) -> list[ItemStatistics]:
    """`responses`: one mapping per attempt, item id -> score 0..1 (True/False; items not delivered
    absent). Each item is analysed over the attempts that were given it, against the rest of each
    of those attempts (Moodle does the same for the questions a random slot drew)."""
    item_ids = sorted({item for attempt in responses for item in attempt})
    totals = [sum(float(score) for score in attempt.values()) for attempt in responses]
    stats = []
    for item in item_ids:
        scored = [
            (float(attempt[item]), total)
            for attempt, total in zip(responses, totals, strict=True)
            if item in attempt
        ]
        stat = _item(item, [s for s, _ in scored], [total - s for s, total in scored])
        stats.append(
            ItemStatistics(
                stat.item_id,
                stat.attempts,
                stat.facility,
                stat.discrimination,
                stat.sd,
                stat.efficiency,
                item_flags(stat),
            )
        )
    return stats


def quiz_statistics(responses: Sequence[Mapping[Hashable, bool | float]]) -> QuizStatistics:
    """`responses`: one mapping per attempt, slot -> score 0..1; every attempt has the same slots
    (a slot is a place in the test; a random draw may put different items in it, as in Moodle)."""
    n = len(responses)
    slots = sorted({slot for attempt in responses for slot in attempt}, key=str)
    p = len(slots)
    if n == 0:
        return QuizStatistics(0, p, None, None, None, None, None)
    if any(set(attempt) != set(slots) for attempt in responses):
        raise ValueError("every attempt must have a score for every slot")
    totals = [sum(float(attempt[slot]) for slot in slots) for attempt in responses]
    mean = _mean(totals)
    if n < 2:
        return QuizStatistics(n, p, mean, None, None, None, None)
    variance = _covariance(totals, totals)
    sd = math.sqrt(variance)
    cic = error_ratio = standard_error = None
    if p > 1 and variance:
        slot_variances = sum(
            _covariance([float(a[slot]) for a in responses], [float(a[slot]) for a in responses])
            for slot in slots
        )
        # rounded off float noise (and -0.0), so equal variances give exactly 0%
        cic = round(100 * p / (p - 1) * (1 - slot_variances / variance), 9) + 0.0
        if cic <= 100:  # CIC can be negative (items that disagree); it is never above 100
            error_ratio = 100 * math.sqrt(1 - cic / 100)
            standard_error = error_ratio / 100 * sd
    flags = ()
    if cic is not None and cic < CIC_UNSATISFACTORY:
        flags = (
            f"CIC {cic:.0f}% is below {CIC_UNSATISFACTORY:.0f}%: by Moodle's guidance the test as a "
            "whole is unsatisfactory (its items do not measure the same thing consistently, or "
            "too few learners took it).",
        )
    return QuizStatistics(n, p, mean, sd, cic, error_ratio, standard_error, flags)


Key = TypeVar("Key")
Row = TypeVar("Row")


def first_attempts(attempts: Sequence[tuple[Key, Row]]) -> list[Row]:
    """The first of each learner's attempts (`attempts`: (learner, attempt) in the order taken)."""
    seen: set = set()
    firsts = []
    for learner, attempt in attempts:
        if learner not in seen:
            seen.add(learner)
            firsts.append(attempt)
    return firsts


def histogram(values: Sequence[float], bins: int = 10) -> list[int]:
    """Counts of scores (0..1) in `bins` equal bands; a perfect score falls in the last band."""
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(value * bins))] += 1
    return counts
