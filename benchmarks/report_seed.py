"""A class of learners with graded attempts, written straight through the ORM and the results service
(no HTTP, no LMS): for the instructor report's benchmark and its tests, at any size.

Each attempt is assembled and graded by the domain exactly as a submit would (`courseware.assessment`),
its answers, its item and objective results (`lti_app.services.results.result_rows`) and, for each
learner's latest attempt, a grade delivery in a rotating sync state are stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from courseware.assessment import assemble, grade
from courseware.model import CourseContent
from lti_app.adapters.orm import Answer, Attempt, AttemptItemResult, AttemptObjectiveResult, GradeDelivery
from lti_app.services.results import result_rows

SYNC_CYCLE = ("synced", "pending", "failed", "retrying", None)  # None: no gradebook column


@dataclass(frozen=True)
class Link:
    """Where the attempts live: one resource link of one course of one deployment."""

    platform_id: int
    deployment_id: str
    context_id: str
    resource_link_id: str
    assessment_id: str


def seed_class(
    session: Session,
    content: CourseContent,
    link: Link,
    learners: int,
    attempts_each: int,
    *,
    seed: int = 7,
    batch: int = 250,
    name_of=lambda i: f"Learner {i:05d}",
) -> int:
    """`learners` x `attempts_each` submitted attempts; returns how many attempts were stored."""
    rng = random.Random(seed)
    blueprint = content.blueprint(link.assessment_id)
    items = {item.id: item for item in content.all_items()}
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    stored = 0
    for first in range(0, learners, batch):
        attempts, graded = [], []
        for learner in range(first, min(first + batch, learners)):
            ability = rng.random()
            for number in range(attempts_each):
                delivered = assemble(blueprint, list(items.values()), rng.randrange(2**31))
                answers = {
                    d.item_id: items[d.item_id].answer_index
                    if rng.random() < ability
                    else (items[d.item_id].answer_index + 1) % len(items[d.item_id].options)
                    for d in delivered
                }
                result = grade(delivered, answers, items, blueprint.pass_mark)
                began = start + timedelta(days=number, minutes=learner)
                attempts.append(
                    Attempt(
                        platform_id=link.platform_id,
                        deployment_id=link.deployment_id,
                        context_id=link.context_id,
                        resource_link_id=link.resource_link_id,
                        user_sub=f"learner-{learner:05d}",
                        user_name=name_of(learner),
                        assessment_id=link.assessment_id,
                        preview=False,
                        seed=0,
                        delivered=[
                            {"item_id": d.item_id, "option_order": list(d.option_order)} for d in delivered
                        ],
                        status="submitted",
                        started_at=began,
                        submitted_at=began + timedelta(minutes=5 + learner % 20),
                        submitted_by="learner",
                        correct=result.correct,
                        total=result.total,
                        score=result.score,
                        passed=result.passed,
                        by_objective={s.objective: [s.correct, s.total] for s in result.by_objective},
                        results_at=began + timedelta(minutes=30),
                    )
                )
                graded.append((answers, result, number == attempts_each - 1, learner))
        session.add_all(attempts)
        session.flush()
        answer_rows, item_rows, objective_rows, deliveries = [], [], [], []
        for attempt, (answers, result, latest, learner) in zip(attempts, graded, strict=True):
            answer_rows += [
                {"attempt_id": attempt.id, "item_id": i, "chosen": c, "answered_at": attempt.submitted_at}
                for i, c in answers.items()
            ]
            item, objective = result_rows(content, attempt.id, result)
            item_rows += item
            objective_rows += objective
            status = SYNC_CYCLE[learner % len(SYNC_CYCLE)]
            if latest and status:
                deliveries.append(_delivery(attempt, status))
        session.execute(insert(Answer), answer_rows)
        session.execute(insert(AttemptItemResult), item_rows)
        session.execute(insert(AttemptObjectiveResult), objective_rows)
        session.add_all(deliveries)
        session.commit()
        stored += len(attempts)
    return stored


def _delivery(attempt: Attempt, status: str) -> GradeDelivery:
    when = attempt.submitted_at
    return GradeDelivery(
        attempt_id=attempt.id,
        platform_id=attempt.platform_id,
        deployment_id=attempt.deployment_id,
        context_id=attempt.context_id,
        resource_link_id=attempt.resource_link_id,
        user_sub=attempt.user_sub,
        label="Mock exam",
        score_given=float(attempt.correct),
        score_maximum=float(attempt.total),
        timestamp=when,
        status=status,
        synced_at=when + timedelta(minutes=1) if status == "synced" else None,
        retrying_since=when if status == "retrying" else None,
        last_error="503 from the LMS" if status in ("failed", "retrying") else None,
        next_attempt_at=when,
    )
