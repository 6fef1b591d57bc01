"""Spaced review: each learner's FSRS schedule over the course's cards, new cards weakest objective first.

The use cases (the queue, ratings, practice answers, assessments feeding the review, completion);
the reads (the learner, their cards and mastery) are in spaced_cards. Cards, every rating and the
learner's mastery over time are rows in the database, so the due queue survives sessions, Redis flushes
and restarts. All times are UTC.

Mastery (Bayesian knowledge tracing) starts from the diagnostic, and mock exams and practice answers
update it; flashcard and key-term ratings are the learner's own judgement, so they schedule cards but
are not taken as evidence of mastery. A wrong open-pool answer in an assessment seeds that item's card
as a lapse (rated Again when submitted); mock-pool items are never cards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from courseware.assessment import AttemptStatus, GradedAttempt
from courseware.mastery import DEFAULT_PARAMS, Estimate, smoothed
from courseware.model import AssessmentPlan, BlueprintKind, CourseContent
from courseware.spaced import (
    CardKind,
    Recall,
    ReviewCard,
    item_key,
    order_new,
    recall_of_answer,
    review_cards,
)
from lti_app.adapters.orm import Attempt, ReviewCardState, ReviewLogEntry, utcnow
from lti_app.errors import ReviewError
from lti_app.services import grades
from lti_app.services.launches import LaunchContext
from lti_app.services.spaced_cards import (
    Learner,
    card_of,
    catalogue,
    day_start,
    estimates_of,
    held_back,
    mastery_history,
    mastery_of,
    owned,
    record_mastery,
    reviewed_today,
    state_of,
    states_of,
    utc,
    weakest_activity,
)

__all__ = [  # the reads live in spaced_cards; the web layer and tests reach them through here
    "Learner",
    "ReviewError",
    "card_of",
    "catalogue",
    "mastery_history",
    "mastery_of",
    "reviewed_today",
    "state_of",
    "states_of",
    "weakest_activity",
]

NEW_CARDS_PER_DAY = 10
LEARN_AHEAD = timedelta(minutes=20)  # a card in its learning steps may come back this early in a session
MASTERY_SOURCES = (BlueprintKind.diagnostic, BlueprintKind.mock_exam)  # they seed lapses and move mastery
T = TypeVar("T")
SCHEDULER = Scheduler()  # FSRS defaults: 90% desired retention, steps of 1 and 10 minutes, fuzzed intervals

# --- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """What the learner reviews today: due cards first (earliest first), then new ones, weakest first."""

    due_now: list[ReviewCardState]
    due_later_today: int
    new: list[ReviewCard]  # the new cards still allowed today
    soon: ReviewCardState | None  # a card in its learning steps, due within LEARN_AHEAD

    @property
    def due_today(self) -> int:
        return len(self.due_now) + self.due_later_today + len(self.new)

    @property
    def left_now(self) -> int:
        """Due now and new: what the counters show; it goes down with every card rated (a card in
        its learning steps counts again when it is due again)."""
        return len(self.due_now) + len(self.new)

    @property
    def next_key(self) -> str | None:
        if self.due_now:
            return self.due_now[0].card_key
        if self.new:
            return self.new[0].key
        return self.soon.card_key if self.soon else None


def queue(
    session: Session, content: CourseContent, learner: Learner, now: datetime, new_per_day: int
) -> Queue:
    now, cards, states = utc(now), catalogue(content), states_of(session, learner)
    usable = set(cards) - held_back(session, learner)  # cards an edit removed are let go as well
    known = [row for row in states.values() if row.card_key in usable]
    upcoming = sorted((row for row in known if now < row.due), key=lambda row: (row.due, row.id))
    learning = (row for row in upcoming if row.state != State.Review and row.due <= now + LEARN_AHEAD)
    return Queue(
        due_now=sorted((row for row in known if row.due <= now), key=lambda row: (row.due, row.id)),
        due_later_today=sum(row.due < day_start(now) + timedelta(days=1) for row in upcoming),
        new=_new_cards(session, content, learner, states, usable, now, new_per_day),
        soon=next(learning, None),
    )


def _new_cards(
    session: Session,
    content: CourseContent,
    learner: Learner,
    states: dict[str, ReviewCardState],
    usable: set[str],
    now: datetime,
    new_per_day: int,
) -> list[ReviewCard]:
    """Unseen cards, weakest objective first, as many as today's allowance has left. Cards seeded by an
    assessment's wrong answers do not use the allowance: they are due anyway."""
    today = day_start(now)
    introduced = sum(row.introduced_by == "review" and row.created_at >= today for row in states.values())
    unseen = [card for card in review_cards(content) if card.key in usable and card.key not in states]
    ordered = order_new(unseen, mastery_of(session, content, learner), [o.id for o in content.objectives])
    return ordered[: max(0, new_per_day - introduced)]


# --- reviewing ----------------------------------------------------------------------------


def _review(
    session: Session,
    learner: Learner,
    card: ReviewCard,
    rating: Recall,
    at: datetime,
    *,
    source: str,
    link: str = "",
    scheduler: Scheduler = SCHEDULER,
) -> ReviewCardState:
    """Schedule one rating with FSRS and log it (the caller commits)."""
    at = utc(at)
    query = select(ReviewCardState).where(
        *owned(ReviewCardState, learner), ReviewCardState.card_key == card.key
    )
    row = session.scalar(query.with_for_update())
    if row is None:
        row = ReviewCardState(
            platform_id=learner.platform_id,
            deployment_id=learner.deployment_id,
            user_sub=learner.user_sub,
            card_key=card.key,
            objective=card.objective,
            fsrs={},
            state=int(State.Learning),
            due=at,
            reps=0,
            lapses=0,
            introduced_by=source,
            created_at=at,
        )
        session.add(row)
        session.flush()  # the row id is the FSRS card id
    before = Card.from_dict(row.fsrs) if row.fsrs else Card(card_id=row.id, due=at)
    after, log = scheduler.review_card(before, Rating(int(rating)), review_datetime=at)
    row.fsrs, row.state, row.due, row.last_review_at = after.to_dict(), int(after.state), after.due, at
    row.reps += 1
    row.lapses += int(before.state == State.Review and rating == Recall.again)
    session.add(
        ReviewLogEntry(
            card_id=row.id,
            platform_id=learner.platform_id,
            deployment_id=learner.deployment_id,
            user_sub=learner.user_sub,
            rating=int(rating),
            source=source,
            resource_link_id=link,
            reviewed_at=at,
            due_after=after.due,
            log=log.to_dict(),
        )
    )
    return row


def rate(
    session: Session,
    content: CourseContent,
    ctx: LaunchContext,
    key: str,
    recall: Recall,
    now: datetime,
    *,
    new_per_day: int = NEW_CARDS_PER_DAY,
    scheduler: Scheduler = SCHEDULER,
) -> ReviewCardState:
    """The learner's own rating of a flashcard or key term."""
    card = card_of(session, content, Learner.of(ctx), key)
    if card.kind is CardKind.item:
        raise ReviewError("A practice question is rated by answering it.")

    def apply() -> ReviewCardState:
        learner, link = Learner.of(ctx), ctx.resource_link_id
        row = _review(session, learner, card, recall, now, source="review", link=link, scheduler=scheduler)
        _complete_if_done(session, content, ctx, now, new_per_day)
        return row

    return _committed(session, apply)


def answer(
    session: Session,
    content: CourseContent,
    ctx: LaunchContext,
    key: str,
    chosen: int,
    now: datetime,
    *,
    new_per_day: int = NEW_CARDS_PER_DAY,
    scheduler: Scheduler = SCHEDULER,
) -> bool:
    """A practice answer (original option index): scheduled as Again or Good, and evidence of mastery."""
    card = card_of(session, content, Learner.of(ctx), key)
    if card.item is None:
        raise ReviewError("Only a practice question takes an answer.")
    if not 0 <= chosen < len(card.item.options):
        raise ReviewError("Choose one of the four options.")
    correct = chosen == card.item.answer_index
    learner = Learner.of(ctx)

    def apply() -> bool:
        recall = recall_of_answer(correct)
        _review(
            session,
            learner,
            card,
            recall,
            now,
            source="review",
            link=ctx.resource_link_id,
            scheduler=scheduler,
        )
        prior = estimates_of(session, content, learner)
        estimates = smoothed(prior, [(card.item.objective, correct)])
        record_mastery(session, learner, estimates, "review", utc(now))
        _complete_if_done(session, content, ctx, now, new_per_day)
        return correct

    return _committed(session, apply)


def _committed(session: Session, apply: Callable[[], T]) -> T:
    """Commit; if a second tab created the same card at the same moment, apply again to the saved one."""
    try:
        result = apply()
        session.commit()
    except IntegrityError:
        session.rollback()
        result = apply()
        session.commit()
    return result


# --- assessments feed the review -----------------------------------------------------------


def record_assessment(
    session: Session, content: CourseContent, attempt: Attempt, graded: GradedAttempt, kind: BlueprintKind
) -> None:
    """In the submit's own transaction: wrong open-pool answers become lapses, and mastery moves.
    The diagnostic sets mastery afresh (what the result page shows); a mock exam updates it, weighed
    against the evidence already behind each objective (courseware.mastery.smoothed)."""
    if attempt.preview or kind not in MASTERY_SOURCES:
        return
    learner, at = Learner.of(attempt), utc(attempt.submitted_at or utcnow())
    cards = catalogue(content)
    for result in graded.results:
        card = cards.get(item_key(result.item_id))  # None for the mock pool: never a review card
        if card is not None and not result.is_correct:
            _review(
                session, learner, card, Recall.again, at, source=kind.value, link=attempt.resource_link_id
            )
    fresh = {o.id: Estimate(DEFAULT_PARAMS.p_init) for o in content.objectives}
    prior = fresh if kind is BlueprintKind.diagnostic else estimates_of(session, content, learner)
    estimates = smoothed(prior, [(r.objective, r.is_correct) for r in graded.results])
    record_mastery(session, learner, estimates, kind.value, at)


# --- completion and the gradebook ----------------------------------------------------------


def review_blueprint(content: CourseContent, ctx: LaunchContext) -> AssessmentPlan | None:
    """The review this launch's link opens, if it is a review link (not, say, the diagnostic's)."""
    blueprint = next((b for b in content.blueprints if b.id == ctx.assessment_id), None)
    return blueprint if blueprint is not None and blueprint.kind is BlueprintKind.review else None


def is_graded(content: CourseContent, ctx: LaunchContext) -> bool:
    """Only a review link an instructor placed as graded (deep linking adds custom graded=true)."""
    return review_blueprint(content, ctx) is not None and ctx.custom.get("graded") == "true"


def completion_of(session: Session, ctx: LaunchContext) -> Attempt | None:
    query = select(Attempt).where(
        Attempt.platform_id == ctx.platform_id,
        Attempt.deployment_id == ctx.deployment_id,
        Attempt.resource_link_id == ctx.resource_link_id,
        Attempt.user_sub == ctx.user_sub,
        Attempt.assessment_id == ctx.assessment_id,
        Attempt.status == AttemptStatus.submitted,
    )
    return session.scalar(query.limit(1))


def _complete_if_done(
    session: Session, content: CourseContent, ctx: LaunchContext, now: datetime, new_per_day: int
) -> None:
    """The completion rule: the first time a learner empties their due queue through a review link,
    that link records a completion (1 of 1); a graded link also sends it to the gradebook through
    the outbox, in this same transaction. Later sessions change nothing: the grade stays full."""
    blueprint = review_blueprint(content, ctx)
    if blueprint is None or ctx.is_staff or completion_of(session, ctx) is not None:
        return
    session.flush()
    if queue(session, content, Learner.of(ctx), utc(now), new_per_day).next_key is not None:
        return
    attempt = _completion_attempt(ctx, utc(now))
    session.add(attempt)
    session.flush()
    if is_graded(content, ctx) and grades.can_grade(attempt):
        grades.queue_completion(session, attempt, blueprint)


def _completion_attempt(ctx: LaunchContext, at: datetime) -> Attempt:
    return Attempt(
        **ctx.attempt_owner(),
        assessment_id=ctx.assessment_id,
        preview=False,
        seed=0,
        delivered=[],  # nothing drawn: a review has no questions of its own
        status=AttemptStatus.submitted,
        started_at=at,
        submitted_at=at,
        submitted_by="learner",
        correct=1,
        total=1,
        score=1.0,
    )


# --- what each rating would do -------------------------------------------------------------

PREVIEW = Scheduler(enable_fuzzing=False)  # the button shows the interval before fuzzing spreads it a little


def next_intervals(
    session: Session, learner: Learner, key: str, now: datetime, scheduler: Scheduler = PREVIEW
) -> dict[Recall, timedelta]:
    """How long until the card comes back after each rating, as FSRS would schedule it now (what a
    rating button says: "Good · 3 d"). Nothing is stored."""
    now = utc(now)
    row = state_of(session, learner, key)
    before = Card.from_dict(row.fsrs) if row is not None and row.fsrs else Card(card_id=0, due=now)
    return {
        recall: scheduler.review_card(before, Rating(int(recall)), review_datetime=now)[0].due - now
        for recall in Recall
    }
