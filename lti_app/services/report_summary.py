"""The class at a glance and item statistics, from stored results (`lti_app.services.results`).

Mastery, per-objective results and the score histogram are SQL aggregates over each learner's
latest attempt. Item statistics need each analysed attempt's item vector (discrimination correlates
an item with the rest of its attempt), so the stored item rows of each learner's first attempt (or
of all attempts) are read and `courseware.statistics` computes them, as Moodle's report does; the
summary is cached in Redis under the activity's current "results version" (count and newest stored
result), so it is recomputed only when a new result is stored; the learner table is always live.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import redis
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from courseware.assessment import AttemptStatus
from courseware.model import CourseContent, ObjectiveKind
from courseware.statistics import ItemStatistics, QuizStatistics, item_statistics, quiz_statistics
from lti_app.adapters.orm import Attempt, AttemptItemResult, AttemptObjectiveResult
from lti_app.services import results
from lti_app.services.launches import LaunchContext
from lti_app.services.reports import latest_attempts, scope

BANDS = 10
STATISTICS_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ObjectiveSummary:
    objective_id: str
    title: str
    correct: int  # over learners' latest attempts
    total: int
    mastery: float | None  # mean BKT mastery (activities only)


@dataclass
class ClassSummary:
    objectives: list[ObjectiveSummary]
    distribution: list[int]  # latest scores in ten 10% bands, a perfect score in the last
    items: list[ItemStatistics]
    quiz: QuizStatistics | None = None
    all_attempts: bool = False

    @property
    def mastery(self) -> list[tuple[str, float]]:
        """(activity title, mean mastery) for the chart, as before."""
        return [(o.title, o.mastery) for o in self.objectives if o.mastery is not None]

    @staticmethod
    def band_label(index: int) -> str:
        low = index * 100 // BANDS
        return f"{low}–{low + (100 // BANDS if index == BANDS - 1 else 100 // BANDS - 1)}%"


def ensure_stored(session: Session, content: CourseContent, ctx: LaunchContext) -> int:
    """Store, once, results of this activity's attempts submitted before results were stored."""
    return results.backfill(session, content, scope(ctx))


def class_summary(
    session: Session,
    content: CourseContent,
    ctx: LaunchContext,
    cache: redis.Redis,
    all_attempts: bool = False,
) -> ClassSummary:
    """The summary as of the activity's stored results: from the cache while no new result has been
    stored (a submit or a backfill changes the version key), else computed and cached."""
    key = _version(session, ctx, all_attempts)
    cached = cache.get(key)
    if cached is not None:
        return _loads(json.loads(cached))
    summary = _summary(session, content, ctx, all_attempts)
    cache.set(key, json.dumps(asdict(summary)), ex=STATISTICS_TTL_SECONDS)
    return summary


def _loads(data: dict) -> ClassSummary:
    quiz = data["quiz"]
    return ClassSummary(
        objectives=[ObjectiveSummary(**o) for o in data["objectives"]],
        distribution=data["distribution"],
        items=[ItemStatistics(**{**i, "flags": tuple(i["flags"])}) for i in data["items"]],
        quiz=QuizStatistics(**{**quiz, "flags": tuple(quiz["flags"])}) if quiz else None,
        all_attempts=data["all_attempts"],
    )


def _summary(
    session: Session, content: CourseContent, ctx: LaunchContext, all_attempts: bool
) -> ClassSummary:
    latest = latest_attempts(ctx)
    aggregates = {
        row.objective: row
        for row in session.execute(
            select(
                AttemptObjectiveResult.objective,
                func.sum(AttemptObjectiveResult.correct).label("correct"),
                func.sum(AttemptObjectiveResult.total).label("total"),
                func.avg(AttemptObjectiveResult.mastery).label("mastery"),
            )
            .join(latest, latest.c.id == AttemptObjectiveResult.attempt_id)
            .group_by(AttemptObjectiveResult.objective)
        )
    }
    objectives = [
        ObjectiveSummary(
            o.id,
            o.title,
            int(aggregates[o.id].correct or 0),
            int(aggregates[o.id].total or 0),
            float(aggregates[o.id].mastery)
            if o.kind is ObjectiveKind.activity and aggregates[o.id].mastery is not None
            else None,
        )
        for o in content.objectives
        if o.id in aggregates
    ]
    band = case(
        (latest.c.score.is_(None), 0),
        (latest.c.score >= 1.0, BANDS - 1),
        else_=func.floor(latest.c.score * BANDS),
    )
    distribution = [0] * BANDS
    for index, count in session.execute(select(band, func.count()).select_from(latest).group_by(band)):
        distribution[min(BANDS - 1, max(0, int(index)))] += count
    items, quiz = _statistics(session, ctx, all_attempts)
    return ClassSummary(objectives, distribution, items, quiz, all_attempts)


def _version(session: Session, ctx: LaunchContext, all_attempts: bool) -> str:
    """The cache key of the activity's stored results: it changes when a result is stored (newest
    results_at, count) or an attempt is erased (count, sum of ids), so a cached summary is never stale."""
    count, newest, ids = session.execute(
        select(func.count(Attempt.id), func.max(Attempt.results_at), func.sum(Attempt.id)).where(
            *scope(ctx), Attempt.results_at.is_not(None)
        )
    ).one()
    where = "\x1f".join(
        str(part)
        for part in (ctx.platform_id, ctx.deployment_id, ctx.context_id, ctx.resource_link_id, all_attempts)
    )
    digest = hashlib.sha256(where.encode()).hexdigest()[:32]
    return f"skarp:report-summary:{digest}:{count}:{ids or 0}:{newest.isoformat() if newest else '-'}"


def _statistics(
    session: Session, ctx: LaunchContext, all_attempts: bool
) -> tuple[list[ItemStatistics], QuizStatistics | None]:
    """Moodle's item and test statistics over each learner's first graded attempt (its default: later
    attempts build on the first), or over all of them."""
    query = select(
        AttemptItemResult.attempt_id,
        AttemptItemResult.item_id,
        AttemptItemResult.slot,
        AttemptItemResult.is_correct,
    )
    if all_attempts:
        query = query.join(Attempt, Attempt.id == AttemptItemResult.attempt_id).where(
            *scope(ctx), Attempt.status == AttemptStatus.submitted
        )
    else:
        first = latest_attempts(ctx, first=True, graded_only=True)
        query = query.join(first, first.c.id == AttemptItemResult.attempt_id)
    by_item: dict[int, dict[str, bool]] = {}
    by_slot: dict[int, dict[str, bool]] = {}
    for attempt_id, item_id, slot, is_correct in session.execute(
        query.order_by(AttemptItemResult.attempt_id)
    ):
        by_item.setdefault(attempt_id, {})[item_id] = bool(is_correct)
        by_slot.setdefault(attempt_id, {})[slot] = bool(is_correct)
    analysed = list(by_item)
    try:
        quiz = quiz_statistics([by_slot[a] for a in analysed]) if analysed else None
    except ValueError:  # the blueprint changed between attempts: no common slots to compare
        quiz = None
    return item_statistics([by_item[a] for a in analysed]), quiz
