"""Assessments as pure functions: assemble a delivery from a blueprint, grade the answers.

Domain layer: no I/O, no web, no SQL. Every random choice comes from a `random.Random(seed)`
that the caller seeds, so an attempt can be stored as (blueprint, seed) and rebuilt exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from courseware.model import AssessmentPlan, BlueprintKind, Item


class AttemptStatus(StrEnum):
    """Where an attempt stands. Stored as these strings, so the values never change."""

    open = "open"  # answers may still change
    submitted = "submitted"  # graded; answers are final


class AssessmentError(ValueError):
    """The bank cannot satisfy a blueprint, or a delivery/answer does not fit its items."""


# --- assembly ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveredItem:
    """One item as shown to the learner: options are displayed in `option_order`."""

    item_id: str
    option_order: tuple[int, ...]  # display position -> original option index

    def __post_init__(self) -> None:
        # Accept any sequence (e.g. a list read back from JSON) but store a tuple, so deliveries
        # compare and hash alike however they were built.
        order = tuple(self.option_order)
        if sorted(order) != list(range(len(order))):
            raise AssessmentError(f"{self.item_id}: option order {order} is not a permutation")
        object.__setattr__(self, "option_order", order)


def assemble(blueprint: AssessmentPlan, items: Sequence[Item], seed: int) -> tuple[DeliveredItem, ...]:
    """Pick and order the items of one attempt; same inputs and seed give the same attempt."""
    if blueprint.kind is BlueprintKind.review:
        raise AssessmentError(
            f"blueprint {blueprint.id!r} is a review: each learner's schedule picks its cards"
        )
    rng = random.Random(seed)  # noqa: S311 - reproducible draws, not secrets
    bank = _by_id(items)
    chosen = _draw(blueprint, bank, rng) if blueprint.per_objective else _fixed(blueprint, bank)
    if not blueprint.shuffle:
        return tuple(DeliveredItem(item.id, tuple(range(len(item.options)))) for item in chosen)
    rng.shuffle(chosen)
    return tuple(DeliveredItem(item.id, _shuffled_options(item, rng)) for item in chosen)


def _by_id(items: Sequence[Item]) -> dict[str, Item]:
    """Index the bank by id, sorted, so the draw does not depend on the order items come in."""
    bank: dict[str, Item] = {}
    for item in sorted(items, key=lambda item: item.id):
        if item.id in bank:
            raise AssessmentError(f"item id {item.id!r} appears more than once in the bank")
        bank[item.id] = item
    return bank


def _draw(blueprint: AssessmentPlan, bank: Mapping[str, Item], rng: random.Random) -> list[Item]:
    """Sample `per_objective` items for each objective, in the blueprint's objective order."""
    drawn: list[Item] = []
    for objective, count in blueprint.per_objective.items():
        candidates = [
            item for item in bank.values() if item.objective == objective and item.pool in blueprint.pools
        ]
        if len(candidates) < count:
            pools = ", ".join(pool.value for pool in blueprint.pools)
            raise AssessmentError(
                f"blueprint {blueprint.id!r} asks for {count} items on objective {objective!r} "
                f"but pools [{pools}] hold only {len(candidates)}"
            )
        drawn += rng.sample(candidates, count)
    return drawn


def _fixed(blueprint: AssessmentPlan, bank: Mapping[str, Item]) -> list[Item]:
    """The blueprint's fixed list, checked against the bank and the blueprint's pools."""
    for item_id in blueprint.items:
        if item_id not in bank:
            raise AssessmentError(f"blueprint {blueprint.id!r} lists item {item_id!r}, not in the bank")
        if bank[item_id].pool not in blueprint.pools:
            raise AssessmentError(
                f"blueprint {blueprint.id!r} lists item {item_id!r} from pool {bank[item_id].pool.value!r}"
            )
    return [bank[item_id] for item_id in blueprint.items]


def _shuffled_options(item: Item, rng: random.Random) -> tuple[int, ...]:
    order = list(range(len(item.options)))
    rng.shuffle(order)
    return tuple(order)


def display_to_original(delivered: DeliveredItem, position: int) -> int:
    """The original option index behind the option shown at `position` (0-based)."""
    _check_index(delivered, position, "display position")
    return delivered.option_order[position]


def original_to_display(delivered: DeliveredItem, original: int) -> int:
    """Where the original option `original` is shown (0-based display position)."""
    _check_index(delivered, original, "original option index")
    return delivered.option_order.index(original)


def _check_index(delivered: DeliveredItem, index: int, what: str) -> None:
    size = len(delivered.option_order)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
        raise AssessmentError(f"{delivered.item_id}: {what} {index!r} is not in 0..{size - 1}")


# --- grading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    item_id: str
    objective: str
    chosen: int | None  # original option index chosen, None if unanswered
    correct_index: int  # original index of the right option

    @property
    def is_correct(self) -> bool:
        return self.chosen == self.correct_index


@dataclass(frozen=True)
class ObjectiveScore:
    objective: str
    correct: int
    total: int

    @property
    def fraction(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class GradedAttempt:
    results: tuple[ItemResult, ...]
    correct: int
    total: int
    score: float  # correct / total, 0..1
    pass_mark: float
    passed: bool
    by_objective: tuple[ObjectiveScore, ...]  # in order of first appearance in the delivery


def grade(
    delivered: Sequence[DeliveredItem],
    answers: Mapping[str, int],
    items_by_id: Mapping[str, Item],
    pass_mark: float,
) -> GradedAttempt:
    """Score a delivery; `answers` maps item id -> ORIGINAL option index. Unanswered is wrong."""
    if not delivered:
        raise AssessmentError("nothing was delivered, so there is nothing to grade")
    if not 0 < pass_mark <= 1:
        raise AssessmentError(f"pass mark {pass_mark!r} is not in (0, 1]")
    _check_answers(delivered, answers, items_by_id)
    results = tuple(_result(d, answers, items_by_id) for d in delivered)
    correct = sum(result.is_correct for result in results)
    return GradedAttempt(
        results=results,
        correct=correct,
        total=len(results),
        score=correct / len(results),
        pass_mark=pass_mark,
        passed=_passes(correct, len(results), pass_mark),
        by_objective=_by_objective(results),
    )


def _check_answers(
    delivered: Sequence[DeliveredItem], answers: Mapping[str, int], items_by_id: Mapping[str, Item]
) -> None:
    """Reject what the web layer must never send: unknown items, duplicates, foreign answers."""
    ids = [d.item_id for d in delivered]
    if len(set(ids)) != len(ids):
        raise AssessmentError("the delivery lists an item more than once")
    if missing := [item_id for item_id in ids if item_id not in items_by_id]:
        raise AssessmentError(f"delivered items not in the bank: {', '.join(missing)}")
    if stray := sorted(item_id for item_id in answers if item_id not in ids):
        raise AssessmentError(f"answers for items that were not delivered: {', '.join(stray)}")
    for d in delivered:
        if d.item_id in answers:
            _check_index(d, answers[d.item_id], "answer (original option index)")


def _result(
    delivered: DeliveredItem, answers: Mapping[str, int], items_by_id: Mapping[str, Item]
) -> ItemResult:
    item = items_by_id[delivered.item_id]
    return ItemResult(item.id, item.objective, answers.get(item.id), item.answer_index)


def correct_needed(total: int, pass_mark: float) -> int:
    """The fewest correct answers out of `total` that pass: the smallest c with c/total >= pass_mark.

    Exact: 0.65 means 13/20, which binary float 0.65 is slightly above, and 0.67 of 3 needs 3. The
    SCORM builder writes this count into each package, so a SCO and the server never disagree.
    """
    if total < 1:
        raise AssessmentError(f"an assessment of {total} items has no pass rule")
    if not 0 < pass_mark <= 1:
        raise AssessmentError(f"pass mark {pass_mark!r} is not in (0, 1]")
    return math.ceil(total * Fraction(str(pass_mark)))


def _passes(correct: int, total: int, pass_mark: float) -> bool:
    return correct >= correct_needed(total, pass_mark)


def _by_objective(results: Sequence[ItemResult]) -> tuple[ObjectiveScore, ...]:
    tally: dict[str, list[int]] = {}  # objective -> [correct, total]; dicts keep first-seen order
    for result in results:
        counts = tally.setdefault(result.objective, [0, 0])
        counts[0] += result.is_correct
        counts[1] += 1
    return tuple(ObjectiveScore(objective, c, t) for objective, (c, t) in tally.items())
