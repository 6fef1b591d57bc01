"""What the spaced review can show, in which order new cards come (weakest objectives first), and how
a rating button names the interval it would give.

Domain layer: no I/O, no scheduler. The catalogue is the chapter's flashcards and key terms and the
bank's open-pool items (the mock pool is reserved for the mock exam and never becomes a card). Each
card has a key that stays the same while its text does, so a learner's schedule survives reordering.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum, StrEnum

from courseware.mastery import DEFAULT_PARAMS
from courseware.model import CourseContent, FlashcardsPart, Item, KeyTermsPart, Pool

#: Only these items are practised: the mock pool stays unseen until the mock exam.
PRACTICE_POOL = Pool.open


class CardKind(StrEnum):
    flashcard = "flashcard"
    term = "term"
    item = "item"


class Recall(IntEnum):
    """How well the learner recalled a card; the values are FSRS's ratings (1 Again .. 4 Easy)."""

    again = 1
    hard = 2
    good = 3
    easy = 4


@dataclass(frozen=True)
class ReviewCard:
    key: str  # "item:plan-01", "flashcards:plan-main-purpose", "key-terms:plan"
    kind: CardKind
    objective: str | None
    front: str  # Markdown (for an item: its stem)
    back: str  # Markdown (for an item: its rationale)
    item: Item | None = None


def slug(text: str) -> str:
    """A URL-safe key from a card's text: "Plan – main purpose" -> "plan-main-purpose"."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "card"


def item_key(item_id: str) -> str:
    return f"item:{item_id}"


def review_cards(content: CourseContent) -> list[ReviewCard]:
    """Every card, in course order: flashcards, key terms, then practice items."""
    cards = [
        ReviewCard(f"{part.id}:{slug(card.front)}", CardKind.flashcard, card.objective, card.front, card.back)
        for part in content.chapter.parts_of(FlashcardsPart)
        for card in part.cards
    ]
    cards += [
        ReviewCard(f"{part.id}:{slug(term.term)}", CardKind.term, term.objective, term.term, term.definition)
        for part in content.chapter.parts_of(KeyTermsPart)
        for term in part.terms
    ]
    cards += [
        ReviewCard(item_key(item.id), CardKind.item, item.objective, item.stem, item.rationale, item)
        for item in content.items
        if item.pool is PRACTICE_POOL
    ]
    return cards


def order_new(
    cards: Sequence[ReviewCard], mastery: Mapping[str, float], syllabus: Sequence[str]
) -> list[ReviewCard]:
    """New cards weakest objective first; ties in syllabus order, then course order (a stable sort).
    Cards without an objective come last: nothing says they are weak."""
    rank = {objective: index for index, objective in enumerate(syllabus)}

    def weakness(card: ReviewCard) -> tuple[float, int]:
        if card.objective is None:
            return (2.0, len(rank))
        return (mastery.get(card.objective, DEFAULT_PARAMS.p_init), rank.get(card.objective, len(rank)))

    return sorted(cards, key=weakness)


def recall_of_answer(correct: bool) -> Recall:
    """A practice answer is the learner's recall, graded by the item: wrong is Again, right is Good."""
    return Recall.good if correct else Recall.again


def interval_label(interval: timedelta) -> tuple[str, str]:
    """How long until a card comes back, short for its rating button and long for a screen reader:
    (\"10 min\", \"10 minutes\"), (\"3 d\", \"3 days\"), (\"2 mo\", \"2 months\"), (\"1.5 y\", \"1.5 years\").
    Rounded as Anki does: whole units up to months, one decimal for years."""
    seconds = max(0.0, interval.total_seconds())
    for limit, size, short, long in _UNITS:
        if seconds < limit:
            count = max(1, round(seconds / size))
            return f"{count} {short}", f"{count} {long}{'' if count == 1 else 's'}"
    years = round(seconds / _YEAR, 1)
    text = f"{years:g}"
    return f"{text} y", f"{text} year{'' if text == '1' else 's'}"


_YEAR = 365.25 * 86400
_UNITS = (  # (below this many seconds, unit size, short, long)
    (3600, 60, "min", "minute"),
    (86400, 3600, "h", "hour"),
    (30 * 86400, 86400, "d", "day"),
    (_YEAR, 30 * 86400, "mo", "month"),
)
