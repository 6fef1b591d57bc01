"""The spaced review's domain: which cards exist, which objective each counts towards, the order new
cards come in (weakest objective first), and the review blueprint's rules."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from courseware import load_content
from courseware.assessment import AssessmentError, assemble
from courseware.errors import ContentError
from courseware.mastery import trace
from courseware.model import AssessmentPlan, BlueprintKind, Pool
from courseware.spaced import (
    CardKind,
    Recall,
    interval_label,
    item_key,
    order_new,
    recall_of_answer,
    review_cards,
    slug,
)

from .conftest import CONTENT_DIR

CONTENT = load_content(CONTENT_DIR)
OBJECTIVES = [o.id for o in CONTENT.objectives]


def test_cards_are_the_flashcards_key_terms_and_open_pool_items_only():
    cards = review_cards(CONTENT)
    kinds = [card.kind for card in cards]
    assert kinds.count(CardKind.flashcard) == 10 and kinds.count(CardKind.term) == 10
    items = {card.item.id for card in cards if card.item}
    assert items == {item.id for item in CONTENT.items if item.pool is Pool.open}
    mock = {item.id for item in CONTENT.all_items() if item.pool is not Pool.open}
    assert mock and not {card.key for card in cards} & {item_key(i) for i in mock}
    assert len({card.key for card in cards}) == len(cards)


@pytest.mark.parametrize(
    ("key", "objective"),
    [
        ("flashcards:plan-main-purpose", "plan"),
        ("flashcards:service-value-chain-definition", "svs-vs-svc"),
        ("flashcards:value-stream-concept", "value-streams"),
        ("flashcards:continual-improvement-definition", "continual-improvement"),
        ("key-terms:plan", "plan"),
        ("key-terms:obtain-build", "obtain-build"),
        ("key-terms:service-value-system", "svs-vs-svc"),
        ("key-terms:value-stream", "value-streams"),
    ],
)
def test_flashcards_and_key_terms_count_towards_the_objective_their_text_names(key, objective):
    cards = {card.key: card for card in review_cards(CONTENT)}
    assert cards[key].objective == objective


def test_every_card_has_an_objective():
    assert [card.key for card in review_cards(CONTENT) if card.objective is None] == []


def test_slug_is_a_stable_url_safe_key():
    assert slug("Plan – main purpose") == "plan-main-purpose"
    assert slug("obtain/build") == "obtain-build"


def test_new_cards_come_weakest_objective_first():
    mastery = trace([("engage", False), ("engage", False)], OBJECTIVES)
    mastery |= {o: 0.9 for o in OBJECTIVES if o != "engage"}
    ordered = order_new(review_cards(CONTENT), mastery, OBJECTIVES)
    engage = [card for card in review_cards(CONTENT) if card.objective == "engage"]
    assert ordered[: len(engage)] == engage  # flashcard, key term, then items, in course order
    assert [card.kind for card in engage[:2]] == [CardKind.flashcard, CardKind.term]


def test_without_evidence_new_cards_follow_the_syllabus():
    ordered = order_new(review_cards(CONTENT), {}, OBJECTIVES)
    seen = list(dict.fromkeys(card.objective for card in ordered))
    assert seen == OBJECTIVES


def test_an_answer_maps_to_a_rating():
    assert recall_of_answer(False) is Recall.again
    assert recall_of_answer(True) is Recall.good
    assert [int(r) for r in Recall] == [1, 2, 3, 4]  # FSRS's Again, Hard, Good, Easy


def test_the_review_blueprint_has_no_draw():
    (review,) = [b for b in CONTENT.blueprints if b.kind is BlueprintKind.review]
    assert (review.per_objective, review.items, review.item_count, review.pass_mark) == ({}, [], 0, None)
    assert review.pools == [Pool.open]
    with pytest.raises(AssessmentError, match="review"):
        assemble(review, CONTENT.all_items(), seed=1)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"pools": ["mock"]}, "open pool only"),
        ({"pools": ["open"], "per_objective": {"plan": 1}}, "a review has no per_objective"),
        ({"pools": ["open"], "pass_mark": 0.5}, "a review has no per_objective"),
    ],
)
def test_review_blueprint_rules(extra, message):
    spec = {"id": "r", "kind": "review", "title": "R", "description": "R"} | extra
    with pytest.raises(ValueError, match=message):
        AssessmentPlan.model_validate(spec)


def test_assessments_still_need_a_pass_mark():
    spec = {"id": "d", "kind": "diagnostic", "title": "D", "description": "D", "pools": ["open"]}
    with pytest.raises(ValueError, match="pass_mark"):
        AssessmentPlan.model_validate(spec | {"per_objective": {"plan": 1}})


def test_a_flashcard_objective_must_exist(tmp_path: Path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    chapter = root / "chapter.yaml"
    text = chapter.read_text(encoding="utf-8")
    old = "      - front: Engage – main purpose\n        objective: engage\n"
    assert text.count(old) == 1
    chapter.write_text(text.replace(old, old.replace("objective: engage", "objective: engagement")), "utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(root)
    (problem,) = caught.value.problems
    assert problem.location.file == "chapter.yaml" and problem.location.line > 1
    assert "unknown objective 'engagement'" in problem.message


@pytest.mark.parametrize(
    ("interval", "short", "long"),
    [
        (timedelta(seconds=20), "1 min", "1 minute"),
        (timedelta(minutes=10), "10 min", "10 minutes"),
        (timedelta(hours=5), "5 h", "5 hours"),
        (timedelta(days=1), "1 d", "1 day"),
        (timedelta(days=8, hours=3), "8 d", "8 days"),
        (timedelta(days=75), "2 mo", "2 months"),
        (timedelta(days=548), "1.5 y", "1.5 years"),
        (timedelta(days=366), "1 y", "1 year"),
    ],
)
def test_interval_labels_read_like_ankis(interval, short, long):
    assert interval_label(interval) == (short, long)
