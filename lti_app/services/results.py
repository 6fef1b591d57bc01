"""Stored results: what a submitted attempt got right, item by item and objective by objective.

Written once, in the submit's own transaction, so the instructor report aggregates rows in SQL
instead of regrading every attempt of the link on every page load. Attempts submitted before these
rows existed are graded once, the first time a report of their link is read (`backfill`): the
migration cannot grade them, it has no course content.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from courseware.assessment import AttemptStatus, GradedAttempt
from courseware.mastery import trace
from courseware.model import CourseContent, ObjectiveKind
from lti_app.adapters.orm import Attempt, AttemptItemResult, AttemptObjectiveResult, utcnow

BACKFILL_BATCH = 200
log = logging.getLogger(__name__)


def result_rows(content: CourseContent, attempt_id: int, graded: GradedAttempt) -> tuple[list, list]:
    """The item and objective rows of one graded attempt (plain dicts, for one bulk insert each).

    A slot is (objective, n-th item of it, by item id): a per-objective draw puts different items in
    it, as a Moodle random question does, and every attempt of a blueprint has the same slots."""
    items, per_objective = [], {}
    for position, result in enumerate(graded.results, start=1):
        items.append(
            {
                "attempt_id": attempt_id,
                "item_id": result.item_id,
                "position": position,
                "objective": result.objective,
                "slot": "",
                "is_correct": result.is_correct,
            }
        )
    for row in sorted(items, key=lambda r: (r["objective"], r["item_id"])):
        per_objective[row["objective"]] = per_objective.get(row["objective"], 0) + 1
        row["slot"] = f"{row['objective']}#{per_objective[row['objective']]}"
    ids = [o.id for o in content.objectives]
    activities = {o.id for o in content.objectives if o.kind is ObjectiveKind.activity}
    mastery = trace([(r.objective, r.is_correct) for r in graded.results], ids) if graded.results else {}
    counts = {s.objective: (s.correct, s.total) for s in graded.by_objective}
    objectives = [
        {
            "attempt_id": attempt_id,
            "objective": objective,
            "correct": counts.get(objective, (0, 0))[0],
            "total": counts.get(objective, (0, 0))[1],
            "mastery": mastery.get(objective) if objective in activities else None,
        }
        for objective in ids
        if objective in counts or (objective in activities and graded.results)
    ]
    return items, objectives


def store(session: Session, content: CourseContent, attempt_id: int, graded: GradedAttempt) -> None:
    """Add the attempt's results to the caller's transaction (which closes the attempt and sets its
    `results_at`)."""
    _insert_rows(session, *result_rows(content, attempt_id, graded))


def _insert_rows(session: Session, items: list, objectives: list) -> None:
    """One multi-row INSERT each, on the tables: the ORM's bulk insert would split the objective rows
    in two batches (with and without a mastery), a round trip more on every submit."""
    if items:
        session.execute(insert(AttemptItemResult.__table__), items)
    if objectives:
        session.execute(insert(AttemptObjectiveResult.__table__), objectives)


def backfill(session: Session, content: CourseContent, where: Iterable) -> int:
    """Grade and store, once, the submitted attempts matching `where` that have no stored results.

    Each attempt is claimed with a guarded UPDATE (results_at IS NULL) before its rows are inserted,
    so two reports read at once never store an attempt twice. Returns how many were stored."""
    from lti_app.services.attempts import grade_attempt  # attempts imports this module

    where = tuple(where)
    done = 0
    while True:
        batch = list(
            session.scalars(
                select(Attempt)
                .where(*where, Attempt.status == AttemptStatus.submitted, Attempt.results_at.is_(None))
                .order_by(Attempt.id)
                .limit(BACKFILL_BATCH)
            )
        )
        if not batch:
            return done
        for attempt in batch:
            claimed = session.execute(
                update(Attempt)
                .where(Attempt.id == attempt.id, Attempt.results_at.is_(None))
                .values(results_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                continue
            if attempt.delivered:  # a spaced review's completion record has no items of its own
                try:
                    graded = grade_attempt(content, attempt)
                except (KeyError, ValueError) as error:  # an item or blueprint since removed from the course
                    log.warning("attempt %s cannot be regraded for the report: %r", attempt.id, error)
                    done += 1
                    continue  # claimed with no rows: its score stays as stored, it has no item results
                _insert_rows(session, *result_rows(content, attempt.id, graded))
            done += 1
        session.commit()
        session.expire_all()
