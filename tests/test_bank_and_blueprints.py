"""The item bank and the blueprints meet the course's requirements (not just the loader's rules)."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from courseware import CourseContent, load_content
from courseware.model import BlueprintKind, Item, ItemStyle, ObjectiveKind, Pool

CONTENT = Path(__file__).resolve().parents[1] / "content"


@cache
def content() -> CourseContent:
    return load_content(CONTENT)


def bank() -> list[Item]:
    return content().items


def bank_ids() -> list[str]:
    return [item.id for item in bank()]


def blueprint_of(kind: BlueprintKind):
    (blueprint,) = [b for b in content().blueprints if b.kind is kind]
    return blueprint


def squash(text: str) -> str:
    return " ".join(text.casefold().split())


# --- the bank ------------------------------------------------------------------------------


def test_bank_has_at_least_36_items():
    assert len(bank()) >= 36


@pytest.mark.parametrize("ident", bank_ids())
def test_item_is_single_answer_with_four_options(ident):
    item = next(i for i in bank() if i.id == ident)
    assert len(item.options) == 4
    assert sum(option.correct for option in item.options) == 1
    assert len({squash(option.text) for option in item.options}) == 4


@pytest.mark.parametrize("ident", bank_ids())
def test_item_explains_its_answer_and_every_option(ident):
    item = next(i for i in bank() if i.id == ident)
    assert item.rationale.strip()
    assert all(option.rationale and option.rationale.strip() for option in item.options)


@pytest.mark.parametrize("ident", bank_ids())
def test_item_has_one_known_objective_and_a_difficulty(ident):
    item = next(i for i in bank() if i.id == ident)
    assert isinstance(item.objective, str)
    assert item.objective in {objective.id for objective in content().objectives}
    assert item.difficulty in (1, 2, 3)


@pytest.mark.parametrize("ident", bank_ids())
def test_item_is_in_the_open_or_mock_pool(ident):
    item = next(i for i in bank() if i.id == ident)
    assert item.pool in (Pool.open, Pool.mock)


@pytest.mark.parametrize("ident", bank_ids())
def test_which_two_items_list_statements(ident):
    item = next(i for i in bank() if i.id == ident)
    if item.style is ItemStyle.which_two:
        assert len(item.statements) >= 3
    else:
        assert item.statements == []


def test_at_least_four_items_per_value_chain_activity():
    activities = [o.id for o in content().objectives if o.kind is ObjectiveKind.activity]
    assert len(activities) == 6
    counts = Counter(item.objective for item in bank())
    short = {activity: counts[activity] for activity in activities if counts[activity] < 4}
    assert short == {}


def test_every_objective_has_items():
    counts = Counter(item.objective for item in bank())
    assert {o.id for o in content().objectives} <= set(counts)


def test_all_four_styles_are_present():
    assert {item.style for item in bank()} == set(ItemStyle)


def test_all_three_difficulties_are_present():
    assert {item.difficulty for item in bank()} == {1, 2, 3}


def test_no_bank_stem_repeats_a_chapter_quiz_stem():
    quiz_stems = {squash(item.stem) for item in content().chapter_items}
    assert quiz_stems
    repeats = [item.id for item in bank() if squash(item.stem) in quiz_stems]
    assert repeats == []


def test_bank_stems_are_unique():
    stems = Counter(squash(item.stem) for item in bank())
    assert [stem for stem, count in stems.items() if count > 1] == []


def test_item_ids_are_unique_across_bank_and_chapter():
    ids = [item.id for item in content().all_items()]
    assert len(ids) == len(bank()) + len(content().chapter_items)
    assert [ident for ident, count in Counter(ids).items() if count > 1] == []


# --- blueprints ----------------------------------------------------------------------------


def test_there_is_one_blueprint_of_each_kind():
    assert Counter(b.kind for b in content().blueprints) == Counter(set(BlueprintKind))


def test_diagnostic_covers_every_objective_evenly():
    diagnostic = blueprint_of(BlueprintKind.diagnostic)
    assert set(diagnostic.per_objective) == {o.id for o in content().objectives}
    assert len(set(diagnostic.per_objective.values())) == 1
    assert diagnostic.items == []


def test_diagnostic_draws_from_the_open_pool_only():
    assert blueprint_of(BlueprintKind.diagnostic).pools == [Pool.open]


def test_mock_exam_is_an_exam():
    mock = blueprint_of(BlueprintKind.mock_exam)
    assert mock.pass_mark == 0.65
    assert mock.time_limit_minutes is not None
    assert mock.time_limit_minutes >= 1
    assert mock.pools == [Pool.mock]
    assert mock.items == []
    assert mock.item_count == sum(mock.per_objective.values())
    assert set(mock.per_objective) == {o.id for o in content().objectives}


def test_mock_exam_description_matches_its_numbers():
    mock = blueprint_of(BlueprintKind.mock_exam)
    assert f"{mock.item_count} questions in {mock.time_limit_minutes} minutes" in mock.description
    assert f"pass mark {round(mock.pass_mark * 100)}%" in mock.description


def test_knowledge_check_is_the_chapter_quizzes():
    check = blueprint_of(BlueprintKind.knowledge_check)
    assert check.items == [item.id for item in content().chapter_items]
    assert check.pools == [Pool.chapter]
    assert check.per_objective == {}
    assert check.item_count == len(content().chapter_items)


@pytest.mark.parametrize("blueprint_id", [b.id for b in content().blueprints])
def test_bank_can_satisfy_the_blueprint(blueprint_id):
    blueprint = content().blueprint(blueprint_id)
    eligible = [item for item in content().all_items() if item.pool in blueprint.pools]
    if blueprint.items:
        ids = {item.id for item in eligible}
        assert [ident for ident in blueprint.items if ident not in ids] == []
    else:
        available = Counter(item.objective for item in eligible)
        short = {
            objective: (needed, available[objective])
            for objective, needed in blueprint.per_objective.items()
            if available[objective] < needed
        }
        assert short == {}


def test_mock_pool_is_reserved_for_the_mock_exam():
    for blueprint in content().blueprints:
        if blueprint.kind is not BlueprintKind.mock_exam:
            assert Pool.mock not in blueprint.pools, blueprint.id


def test_diagnostic_and_mock_exam_draw_disjoint_items():
    diagnostic = blueprint_of(BlueprintKind.diagnostic)
    mock = blueprint_of(BlueprintKind.mock_exam)
    assert not set(diagnostic.pools) & set(mock.pools)
