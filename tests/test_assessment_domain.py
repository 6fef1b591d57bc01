"""Assembling and grading assessments with the real content (courseware.assessment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from courseware import CourseContent
from courseware.assessment import (
    AssessmentError,
    DeliveredItem,
    assemble,
    display_to_original,
    grade,
    original_to_display,
)
from courseware.model import AssessmentPlan, Item, Pool

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(50)


def bank(content: CourseContent) -> list[Item]:
    return content.all_items()


def by_id(content: CourseContent) -> dict[str, Item]:
    return {item.id: item for item in bank(content)}


def ids(delivered) -> list[str]:
    return [d.item_id for d in delivered]


# --- assembly ------------------------------------------------------------------------------


def test_diagnostic_draws_two_open_items_per_objective(content):
    blueprint = content.blueprint("diagnostic")
    delivered = assemble(blueprint, bank(content), seed=1)
    items = [by_id(content)[d.item_id] for d in delivered]
    assert len(delivered) == 18
    assert Counter(item.objective for item in items) == {o.id: 2 for o in content.objectives}
    assert {item.pool for item in items} == {Pool.open}
    assert len(set(ids(delivered))) == 18


def test_mock_exam_matches_its_per_objective_counts_from_the_mock_pool(content):
    blueprint = content.blueprint("mock-exam")
    delivered = assemble(blueprint, bank(content), seed=1)
    items = [by_id(content)[d.item_id] for d in delivered]
    assert len(delivered) == 20
    assert Counter(item.objective for item in items) == blueprint.per_objective
    assert {item.pool for item in items} == {Pool.mock}


def test_knowledge_check_is_the_fixed_list_in_order_unshuffled(content):
    for seed in SEEDS:
        delivered = assemble(content.blueprint("knowledge-check"), bank(content), seed)
        assert delivered == (DeliveredItem("quiz-1", (0, 1, 2, 3)), DeliveredItem("quiz-2", (0, 1, 2, 3)))


@pytest.mark.parametrize("blueprint_id", ["diagnostic", "mock-exam", "knowledge-check"])
def test_same_seed_gives_the_same_delivery(content, blueprint_id):
    blueprint = content.blueprint(blueprint_id)
    assert assemble(blueprint, bank(content), 7) == assemble(blueprint, bank(content), 7)


@pytest.mark.parametrize("blueprint_id", ["diagnostic", "mock-exam"])
def test_delivery_does_not_depend_on_the_order_of_the_bank(content, blueprint_id):
    blueprint = content.blueprint(blueprint_id)
    for seed in range(5):
        forward = assemble(blueprint, bank(content), seed)
        assert assemble(blueprint, list(reversed(bank(content))), seed) == forward


@pytest.mark.parametrize("blueprint_id", ["diagnostic", "mock-exam"])
def test_different_seeds_give_different_orders(content, blueprint_id):
    blueprint = content.blueprint(blueprint_id)
    deliveries = {assemble(blueprint, bank(content), seed) for seed in range(5)}
    assert len(deliveries) > 1
    assert len({tuple(ids(delivery)) for delivery in deliveries}) > 1


@pytest.mark.parametrize("blueprint_id", ["diagnostic", "mock-exam", "knowledge-check"])
def test_every_option_order_is_a_permutation_of_four(content, blueprint_id):
    for seed in SEEDS:
        for d in assemble(content.blueprint(blueprint_id), bank(content), seed):
            assert sorted(d.option_order) == [0, 1, 2, 3]


def test_shuffle_puts_every_option_in_every_position(content):
    seen: dict[str, set[tuple[int, int]]] = {}
    for seed in range(200):
        for d in assemble(content.blueprint("diagnostic"), bank(content), seed):
            seen.setdefault(d.item_id, set()).update(enumerate(d.option_order))
    every_pair = {(position, original) for position in range(4) for original in range(4)}
    assert seen
    assert all(pairs == every_pair for pairs in seen.values())


def whole_pool(content: CourseContent, shuffle: bool) -> AssessmentPlan:
    """The mock exam asking for every mock item, so only the order can vary between seeds."""
    counts = Counter(item.objective for item in bank(content) if item.pool is Pool.mock)
    return content.blueprint("mock-exam").model_copy(update={"per_objective": counts, "shuffle": shuffle})


def test_shuffle_changes_the_item_order_not_only_the_choice(content):
    blueprint = whole_pool(content, shuffle=True)
    orders = {tuple(ids(assemble(blueprint, bank(content), seed))) for seed in range(10)}
    assert len({frozenset(order) for order in orders}) == 1
    assert len(orders) > 1


def test_without_shuffle_items_come_grouped_by_objective_with_identity_options(content):
    blueprint = whole_pool(content, shuffle=False)
    items = by_id(content)
    for seed in range(10):
        delivered = assemble(blueprint, bank(content), seed)
        objectives = list(dict.fromkeys(items[d.item_id].objective for d in delivered))
        assert objectives == list(blueprint.per_objective)
        assert [items[d.item_id].objective for d in delivered] == sorted(
            (items[d.item_id].objective for d in delivered), key=objectives.index
        )
        assert all(d.option_order == (0, 1, 2, 3) for d in delivered)


def test_unsatisfiable_blueprint_names_the_objective(content):
    blueprint = AssessmentPlan(
        id="greedy",
        kind="diagnostic",
        title="Greedy",
        description="Asks for more than the bank holds.",
        pools=[Pool.open],
        per_objective={"plan": 1, "engage": 10},
        pass_mark=0.65,
    )
    with pytest.raises(AssessmentError, match=r"'engage'"):
        assemble(blueprint, bank(content), 1)


def test_fixed_blueprint_with_an_unknown_item_raises(content):
    blueprint = content.blueprint("knowledge-check")
    with pytest.raises(AssessmentError, match="quiz-2"):
        assemble(blueprint, [item for item in bank(content) if item.id != "quiz-2"], 1)


def test_duplicate_ids_in_the_bank_raise(content):
    with pytest.raises(AssessmentError, match="more than once"):
        assemble(content.blueprint("diagnostic"), bank(content) + bank(content)[:1], 1)


ASSEMBLE_SCRIPT = """
import json, sys
from pathlib import Path
from courseware import load_content
from courseware.assessment import assemble
content = load_content(Path(sys.argv[1]))
delivered = assemble(content.blueprint(sys.argv[2]), content.all_items(), 42)
print(json.dumps([[d.item_id, list(d.option_order)] for d in delivered]))
"""


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_delivery_is_reproducible_across_processes(content, hash_seed):
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    for blueprint_id in ("diagnostic", "mock-exam"):
        run = subprocess.run(
            [sys.executable, "-c", ASSEMBLE_SCRIPT, str(ROOT / "content"), blueprint_id],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        here = assemble(content.blueprint(blueprint_id), bank(content), 42)
        assert json.loads(run.stdout) == [[d.item_id, list(d.option_order)] for d in here]


# --- option mapping ------------------------------------------------------------------------


def test_display_and_original_positions_round_trip():
    delivered = DeliveredItem("x", (2, 0, 3, 1))
    assert [display_to_original(delivered, p) for p in range(4)] == [2, 0, 3, 1]
    for position in range(4):
        assert original_to_display(delivered, display_to_original(delivered, position)) == position
        assert display_to_original(delivered, original_to_display(delivered, position)) == position


@pytest.mark.parametrize("bad", [-1, 4, 10, True, "1", None])
def test_bad_positions_raise(bad):
    delivered = DeliveredItem("x", (2, 0, 3, 1))
    with pytest.raises(AssessmentError):
        display_to_original(delivered, bad)
    with pytest.raises(AssessmentError):
        original_to_display(delivered, bad)


def test_delivered_item_rejects_a_non_permutation_and_stores_a_tuple():
    with pytest.raises(AssessmentError):
        DeliveredItem("x", (0, 1, 1, 3))
    assert DeliveredItem("x", [1, 0, 2, 3]) == DeliveredItem("x", (1, 0, 2, 3))


# --- grading -------------------------------------------------------------------------------


def mock_delivery(content: CourseContent, seed: int = 3):
    return assemble(content.blueprint("mock-exam"), bank(content), seed)


def right(item: Item) -> int:
    return item.answer_index


def wrong(item: Item) -> int:
    return (item.answer_index + 1) % 4


def answers_with(content: CourseContent, delivered, correct_count: int) -> dict[str, int]:
    """Answer every delivered item: the first `correct_count` right, the rest wrong."""
    items = by_id(content)
    return {
        d.item_id: (right if n < correct_count else wrong)(items[d.item_id]) for n, d in enumerate(delivered)
    }


def test_all_right_scores_one_and_passes(content):
    delivered = mock_delivery(content)
    attempt = grade(delivered, answers_with(content, delivered, 20), by_id(content), 0.65)
    assert (attempt.correct, attempt.total, attempt.score, attempt.passed) == (20, 20, 1.0, True)
    assert all(result.is_correct for result in attempt.results)


def test_nothing_answered_scores_zero_and_fails(content):
    delivered = mock_delivery(content)
    attempt = grade(delivered, {}, by_id(content), 0.65)
    assert (attempt.correct, attempt.score, attempt.passed) == (0, 0.0, False)
    assert all(result.chosen is None and not result.is_correct for result in attempt.results)


def test_thirteen_of_twenty_passes_at_65_percent_and_twelve_fails(content):
    delivered = mock_delivery(content)
    assert Fraction(0.65) > Fraction(13, 20)  # the float trap the grader must avoid
    thirteen = grade(delivered, answers_with(content, delivered, 13), by_id(content), 0.65)
    twelve = grade(delivered, answers_with(content, delivered, 12), by_id(content), 0.65)
    assert (thirteen.correct, thirteen.score, thirteen.passed) == (13, 0.65, True)
    assert (twelve.correct, twelve.passed) == (12, False)


def test_knowledge_check_needs_both_at_80_percent(content):
    delivered = assemble(content.blueprint("knowledge-check"), bank(content), 0)
    items = by_id(content)
    both = {"quiz-1": right(items["quiz-1"]), "quiz-2": right(items["quiz-2"])}
    one = {"quiz-1": right(items["quiz-1"]), "quiz-2": wrong(items["quiz-2"])}
    assert grade(delivered, both, items, 0.8).passed
    assert not grade(delivered, one, items, 0.8).passed


def test_scores_per_objective_in_order_of_first_appearance(content):
    delivered = mock_delivery(content)
    items = by_id(content)
    answers = answers_with(content, delivered, 20)
    first = items[delivered[0].item_id].objective
    for d in delivered:
        if items[d.item_id].objective == first:
            answers[d.item_id] = wrong(items[d.item_id])
    attempt = grade(delivered, answers, items, 0.65)
    expected_order = list(dict.fromkeys(items[d.item_id].objective for d in delivered))
    assert [score.objective for score in attempt.by_objective] == expected_order
    counts = content.blueprint("mock-exam").per_objective
    for score in attempt.by_objective:
        assert score.total == counts[score.objective]
        assert score.correct == (0 if score.objective == first else score.total)
        assert score.fraction == (0.0 if score.objective == first else 1.0)
    assert sum(score.correct for score in attempt.by_objective) == attempt.correct


def test_item_results_record_the_original_indices(content):
    delivered = mock_delivery(content)
    items = by_id(content)
    answers = answers_with(content, delivered, 1)
    del answers[delivered[-1].item_id]
    attempt = grade(delivered, answers, items, 0.65)
    for d, result in zip(delivered, attempt.results, strict=True):
        item = items[d.item_id]
        assert (result.item_id, result.objective) == (item.id, item.objective)
        assert result.correct_index == item.answer_index
        assert result.chosen == answers.get(item.id)
    assert attempt.results[0].is_correct
    assert attempt.results[-1].chosen is None


def test_answer_via_display_position_grades_the_shown_option(content):
    delivered = mock_delivery(content)
    items = by_id(content)
    d = delivered[0]
    shown_at = original_to_display(d, items[d.item_id].answer_index)
    answers = {d.item_id: display_to_original(d, shown_at)}
    assert grade(delivered, answers, items, 0.65).results[0].is_correct


def test_answer_for_an_undelivered_item_raises(content):
    delivered = mock_delivery(content)
    stray = next(item for item in bank(content) if item.pool is Pool.open)
    with pytest.raises(AssessmentError, match=stray.id):
        grade(delivered, {stray.id: 0}, by_id(content), 0.65)


@pytest.mark.parametrize("bad", [-1, 4, None, "0"])
def test_answer_out_of_range_raises(content, bad):
    delivered = mock_delivery(content)
    with pytest.raises(AssessmentError):
        grade(delivered, {delivered[0].item_id: bad}, by_id(content), 0.65)


def test_grading_nothing_or_an_unknown_item_raises(content):
    with pytest.raises(AssessmentError):
        grade((), {}, by_id(content), 0.65)
    with pytest.raises(AssessmentError, match="nope"):
        grade((DeliveredItem("nope", (0, 1, 2, 3)),), {}, by_id(content), 0.65)
