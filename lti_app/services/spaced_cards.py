"""The spaced review's reads: who the learner is, their cards, their mastery over time.

Split from lti_app.services.spaced (the use cases: queue, ratings, answers, completion) so each stays
small; spaced re-exports what the web layer needs. A learner is (platform, deployment, user): one
schedule across the course's links, never shared across users, platforms or deployments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from courseware.assessment import AttemptStatus
from courseware.mastery import DEFAULT_PARAMS, UNKNOWN_EVIDENCE, Estimate, GapEntry, gap_guide
from courseware.model import CourseContent
from courseware.spaced import ReviewCard, item_key, review_cards
from lti_app.adapters.orm import Attempt, MasterySnapshot, ReviewCardState, ReviewLogEntry
from lti_app.errors import ReviewError
from lti_app.services.launches import LaunchContext


@dataclass(frozen=True)
class Learner:
    platform_id: int
    deployment_id: str
    user_sub: str

    @classmethod
    def of(cls, owner: LaunchContext | Attempt) -> Learner:
        return cls(owner.platform_id, owner.deployment_id, owner.user_sub)


def owned(model, learner: Learner) -> tuple:
    return (
        model.platform_id == learner.platform_id,
        model.deployment_id == learner.deployment_id,
        model.user_sub == learner.user_sub,
    )


def utc(at: datetime) -> datetime:
    """FSRS wants tzinfo to be timezone.utc itself; a database may hand back an equivalent zone."""
    return at.astimezone(UTC)


# --- the catalogue and the learner's cards -------------------------------------------------


def catalogue(content: CourseContent) -> dict[str, ReviewCard]:
    return {card.key: card for card in review_cards(content)}


def card_of(session: Session, content: CourseContent, learner: Learner, key: str) -> ReviewCard:
    card = catalogue(content).get(key)
    if card is None:
        raise ReviewError("There is no such card in this course's review.", status=404)
    if key in held_back(session, learner):
        raise ReviewError(
            "This question is in an assessment you have not submitted yet: finish it first.", 409
        )
    return card


def held_back(session: Session, learner: Learner) -> set[str]:
    """Practice questions that are also in one of the learner's open attempts (the diagnostic draws from
    the same pool): practising one, and seeing its rationale, would give that answer away."""
    query = select(Attempt.delivered).where(*owned(Attempt, learner), Attempt.status == AttemptStatus.open)
    return {item_key(entry["item_id"]) for delivered in session.scalars(query) for entry in delivered}


def states_of(session: Session, learner: Learner) -> dict[str, ReviewCardState]:
    rows = session.scalars(select(ReviewCardState).where(*owned(ReviewCardState, learner)))
    return {row.card_key: row for row in rows}


def state_of(session: Session, learner: Learner, key: str) -> ReviewCardState | None:
    query = select(ReviewCardState).where(*owned(ReviewCardState, learner), ReviewCardState.card_key == key)
    return session.scalar(query)


# --- mastery -------------------------------------------------------------------------------


def estimates_of(session: Session, content: CourseContent, learner: Learner) -> dict[str, Estimate]:
    """The latest snapshot with the evidence behind each objective (every objective at the BKT prior,
    on no evidence, before the first snapshot; UNKNOWN_EVIDENCE for a snapshot that did not record it)."""
    latest = session.scalar(
        select(MasterySnapshot)
        .where(*owned(MasterySnapshot, learner))
        .order_by(MasterySnapshot.taken_at.desc(), MasterySnapshot.id.desc())
        .limit(1)
    )
    if latest is None:
        return {o.id: Estimate(DEFAULT_PARAMS.p_init) for o in content.objectives}
    evidence = latest.evidence or {}
    return {
        o.id: Estimate(
            float(latest.mastery.get(o.id, DEFAULT_PARAMS.p_init)),
            int(evidence.get(o.id, UNKNOWN_EVIDENCE if latest.evidence is None else 0)),
        )
        for o in content.objectives
    }


def mastery_of(session: Session, content: CourseContent, learner: Learner) -> dict[str, float]:
    """The latest snapshot's mastery per objective (see estimates_of)."""
    return {key: estimate.mastery for key, estimate in estimates_of(session, content, learner).items()}


def mastery_history(session: Session, learner: Learner, limit: int = 12) -> list[MasterySnapshot]:
    """The latest `limit` snapshots, oldest first."""
    query = (
        select(MasterySnapshot)
        .where(*owned(MasterySnapshot, learner))
        .order_by(MasterySnapshot.taken_at.desc(), MasterySnapshot.id.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(query).all()))


def weakest_activity(mastery: dict[str, float], content: CourseContent) -> GapEntry | None:
    guide = gap_guide(mastery, content.objectives)
    return guide[0] if guide else None


def record_mastery(
    session: Session, learner: Learner, estimates: dict[str, Estimate], source: str, at: datetime
) -> None:
    session.add(
        MasterySnapshot(
            platform_id=learner.platform_id,
            deployment_id=learner.deployment_id,
            user_sub=learner.user_sub,
            source=source,
            taken_at=at,
            mastery={key: estimate.mastery for key, estimate in estimates.items()},
            evidence={key: estimate.evidence for key, estimate in estimates.items()},
        )
    )


def day_start(at: datetime) -> datetime:
    """Days are UTC days: the new-card allowance and "due today" restart at midnight UTC."""
    return datetime.combine(at.date(), time(), tzinfo=UTC)


def reviewed_today(session: Session, learner: Learner, now: datetime) -> int:
    query = select(func.count()).where(
        *owned(ReviewLogEntry, learner),
        ReviewLogEntry.source == "review",
        ReviewLogEntry.reviewed_at >= day_start(utc(now)),
    )
    return session.scalar(query) or 0
