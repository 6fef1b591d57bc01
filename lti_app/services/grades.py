"""Queue a graded attempt's score for the LMS gradebook, in the attempt's own transaction.

Only the latest grade per learner and link must end in the gradebook: a newer attempt's grade
supersedes an older one still waiting, and timestamps are whole seconds, strictly increasing per
learner and link (Moodle answers 409 to a score whose timestamp is not later than the last one,
Canvas 400 to an older one).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from courseware.assessment import GradedAttempt
from courseware.model import AssessmentPlan
from lti_app.adapters.orm import Attempt, GradeDelivery, utcnow
from lti_app.lti.claims import AGS_SCORE_SCOPE

WAITING = ("pending", "retrying")


def can_grade(attempt: Attempt) -> bool:
    """A learner's attempt launched with AGS (score scope and an address for the line item)."""
    gradebook = attempt.gradebook or {}
    scopes = gradebook.get("scope") or []
    return (
        not attempt.preview
        and AGS_SCORE_SCOPE in scopes
        and bool(gradebook.get("lineitem") or gradebook.get("lineitems"))
    )


def _owner(attempt: Attempt):
    return (
        GradeDelivery.platform_id == attempt.platform_id,
        GradeDelivery.deployment_id == attempt.deployment_id,
        GradeDelivery.resource_link_id == attempt.resource_link_id,
        GradeDelivery.user_sub == attempt.user_sub,
    )


def queue_grade(
    session: Session, attempt: Attempt, result: GradedAttempt, blueprint: AssessmentPlan
) -> GradeDelivery:
    """Add the delivery to the session (the caller commits it with the attempt)."""
    verdict = "passed" if result.passed else "not passed"
    comment = f"{blueprint.title}: {result.correct}/{result.total} ({result.score:.0%}), {verdict}."
    return _enqueue(session, attempt, blueprint, float(result.correct), float(result.total), comment)


def queue_completion(session: Session, attempt: Attempt, blueprint: AssessmentPlan) -> GradeDelivery:
    """A graded review's completion, 1 of 1 (see services.spaced): the same outbox as any grade."""
    comment = f"{blueprint.title}: completed the cards that were due."
    return _enqueue(session, attempt, blueprint, 1.0, 1.0, comment)


def _enqueue(
    session: Session, attempt: Attempt, blueprint: AssessmentPlan, given: float, maximum: float, comment: str
) -> GradeDelivery:
    session.execute(
        update(GradeDelivery)
        .where(*_owner(attempt), GradeDelivery.status.in_(WAITING))
        .values(status="superseded", locked_until=None)
    )
    latest = session.scalar(select(func.max(GradeDelivery.timestamp)).where(*_owner(attempt)))
    timestamp = (attempt.submitted_at or utcnow()).replace(microsecond=0)
    if latest is not None and timestamp <= latest:
        timestamp = latest + timedelta(seconds=1)
    gradebook = attempt.gradebook or {}
    delivery = GradeDelivery(
        attempt_id=attempt.id,
        platform_id=attempt.platform_id,
        deployment_id=attempt.deployment_id,
        context_id=attempt.context_id,
        resource_link_id=attempt.resource_link_id,
        resource_link_title=attempt.resource_link_title,
        user_sub=attempt.user_sub,
        lineitem_url=gradebook.get("lineitem"),
        lineitems_url=gradebook.get("lineitems"),
        label=attempt.resource_link_title or blueprint.title,
        score_given=given,
        score_maximum=maximum,
        timestamp=timestamp,
        comment=comment,
        status="pending",
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    return delivery
