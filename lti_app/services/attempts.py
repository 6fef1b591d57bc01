"""Attempts: start or resume, save each answer as the learner goes, submit once, grade on the server.

The database is the source of truth: every answer is committed when it is given, so a reload, a new
tab, a Redis flush or a server restart loses nothing. Grading uses only the server's copy of the
items; the browser only ever sends "position N of item K".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Insert, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from courseware.assessment import (
    AttemptStatus,
    DeliveredItem,
    GradedAttempt,
    assemble,
    display_to_original,
    grade,
)
from courseware.model import AssessmentPlan, BlueprintKind, CourseContent, Item
from lti_app.adapters.orm import Answer, Attempt, utcnow
from lti_app.errors import AttemptError
from lti_app.observability import metrics
from lti_app.services import grades, policies, results, spaced
from lti_app.services.launches import LaunchContext

SUBMITTED = "This attempt has been submitted; answers can no longer change."


@dataclass(frozen=True)
class AttemptView:
    """An attempt with what the pages need: the delivered items and the learner's answers by position."""

    attempt: Attempt
    blueprint: AssessmentPlan
    delivered: tuple[DeliveredItem, ...]
    chosen_positions: dict[str, int]  # item id -> display position chosen

    @property
    def answered(self) -> int:
        return len(self.chosen_positions)


# Whose an attempt is, as bound parameters: the statements below are built once (every page and every
# answer save of a learner reads its attempt, and building a statement cost as much as running it).
_OWNER = (
    Attempt.platform_id == bindparam("platform_id"),
    Attempt.deployment_id == bindparam("deployment_id"),
    Attempt.resource_link_id == bindparam("resource_link_id"),
    Attempt.user_sub == bindparam("user_sub"),
    Attempt.assessment_id == bindparam("assessment_id"),
)
_ATTEMPTS_OF = (
    select(Attempt).where(*_OWNER, Attempt.preview.is_(False)).order_by(Attempt.started_at, Attempt.id)
)
_OPEN = (
    select(Attempt)
    .where(*_OWNER, Attempt.status == AttemptStatus.open, Attempt.preview == bindparam("preview"))
    .order_by(Attempt.id.desc())
)
_OWNED = select(Attempt).where(Attempt.id == bindparam("attempt_id"), *_OWNER)
_OWNED_HELD = _OWNED.with_for_update().execution_options(populate_existing=True)


def _owner(ctx: LaunchContext, assessment_id: str) -> dict[str, object]:
    return {
        "platform_id": ctx.platform_id,
        "deployment_id": ctx.deployment_id,
        "resource_link_id": ctx.resource_link_id,
        "user_sub": ctx.user_sub,
        "assessment_id": assessment_id,
    }


def attempts_of(session: Session, ctx: LaunchContext, assessment_id: str) -> list[Attempt]:
    return list(session.scalars(_ATTEMPTS_OF, _owner(ctx, assessment_id)))


def open_attempt(session: Session, ctx: LaunchContext, assessment_id: str) -> Attempt | None:
    return session.scalars(_OPEN, _owner(ctx, assessment_id) | {"preview": ctx.is_staff}).first()


def start_attempt(
    session: Session, content: CourseContent, ctx: LaunchContext, assessment_id: str
) -> Attempt:
    """A new attempt, or the open one if there is one (two tabs starting at once get the same).
    Staff get a preview attempt: never graded into the LMS, never listed with the learners'."""
    existing = open_attempt(session, ctx, assessment_id)
    if existing is not None:
        return existing
    blueprint = content.blueprint(assessment_id)
    if blueprint.kind is BlueprintKind.review:
        raise AttemptError("The spaced review has no attempts: open it from its link in your course.", 404)
    seed = secrets.randbelow(2**31)
    delivered = assemble(blueprint, content.all_items(), seed)
    started = utcnow()
    attempt = Attempt(
        **ctx.attempt_owner(),
        assessment_id=assessment_id,
        preview=ctx.is_staff,
        seed=seed,
        delivered=[{"item_id": d.item_id, "option_order": list(d.option_order)} for d in delivered],
        started_at=started,
        deadline_at=started + policies.time_allowance(session, ctx, blueprint.time_limit_minutes)
        if blueprint.time_limit_minutes
        else None,
    )
    session.add(attempt)
    try:
        session.commit()
    except IntegrityError:  # another request opened it first: use that one
        session.rollback()
        found = open_attempt(session, ctx, assessment_id)
        if found is None:
            raise
        return found
    return attempt


def owned_attempt(session: Session, ctx: LaunchContext, attempt_id: int, *, hold: bool = False) -> Attempt:
    """The attempt, only if it belongs to this launch's learner and link (else 404: no probing).

    With `hold` (a request about to save an answer or a flag), the attempt is read and held in one
    statement where the database has row locks: the save that follows needs no second read of it."""
    locks = hold and _row_locks(session)
    owner = _owner(ctx, ctx.assessment_id) | {"attempt_id": attempt_id}
    attempt = session.scalar(_OWNED_HELD if locks else _OWNED, owner)
    if attempt is None:
        raise AttemptError("No such attempt for this launch.", status=404)
    if locks:
        session.info[_HELD] = (attempt.id, session.get_transaction())
    return attempt


def view(session: Session, content: CourseContent, attempt: Attempt) -> AttemptView:
    delivered = tuple(DeliveredItem(d["item_id"], tuple(d["option_order"])) for d in attempt.delivered)
    by_id = {d.item_id: d for d in delivered}
    positions = {
        answer.item_id: by_id[answer.item_id].option_order.index(answer.chosen)
        for answer in attempt.answers
        if answer.item_id in by_id
    }
    return AttemptView(attempt, content.blueprint(attempt.assessment_id), delivered, positions)


def is_overdue(attempt: Attempt) -> bool:
    return attempt.deadline_at is not None and utcnow() >= attempt.deadline_at


_HELD = "skarp_held_attempt"  # session.info: (attempt id, the transaction whose row lock holds it)


def _row_locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _hold_open(session: Session, attempt: Attempt) -> bool:
    """Serialise on the attempt for the rest of this transaction, then say whether it is still open.

    Saving an answer and submitting both start here, so a save either commits before the submit
    reads the answers (and is graded) or runs after it (and sees "submitted"). PostgreSQL: a row
    lock (SELECT ... FOR UPDATE), unless owned_attempt(hold=True) took it in this same transaction.
    SQLite has no row locks: a guarded no-op UPDATE (a compare-and-set on status) takes the
    database's write lock, which serialises writers the same way.
    """
    if _row_locks(session):
        held = session.info.pop(_HELD, None)
        if held is None or held[0] != attempt.id or held[1] is not session.get_transaction():
            session.refresh(attempt, with_for_update=True)
        return attempt.status == AttemptStatus.open
    guard = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.open)
        .values(status=AttemptStatus.open)
        .execution_options(synchronize_session=False)
    )
    session.refresh(attempt)
    return guard.rowcount == 1


def _stored_answers(session: Session, attempt: Attempt) -> dict[str, int]:
    """The answers as committed (read under the attempt's lock, never from a stale session cache)."""
    rows = session.execute(select(Answer.item_id, Answer.chosen).where(Answer.attempt_id == attempt.id))
    return {item_id: chosen for item_id, chosen in rows}


def save_answer(
    session: Session, content: CourseContent, attempt: Attempt, item_number: int, position: int
) -> None:
    """Record the choice at display `position` for the item shown as number `item_number` (1-based).
    An answer that arrives once the attempt is submitted is refused (409) and never stored. The
    answer is written with one INSERT ... ON CONFLICT DO UPDATE (a learner changing their mind),
    under the attempt's hold."""
    if attempt.status != AttemptStatus.open:
        raise AttemptError(SUBMITTED, status=409)
    if not 1 <= item_number <= len(attempt.delivered):
        raise AttemptError(f"There is no question {item_number} in this attempt.", status=404)
    entry = attempt.delivered[item_number - 1]
    delivered = DeliveredItem(entry["item_id"], tuple(entry["option_order"]))
    try:
        original = display_to_original(delivered, position)
    except ValueError as error:
        raise AttemptError(f"Choose one of the four options ({error}).") from None
    if not _hold_open(session, attempt):
        session.rollback()
        raise AttemptError(SUBMITTED, status=409)
    now = utcnow()
    if attempt.deadline_at is not None and now >= attempt.deadline_at:
        _close(session, content, attempt, "timer")
        raise AttemptError("Time is up: the attempt was submitted as it stood.", status=409)
    _upsert_answer(session, attempt, delivered.item_id, original, now)
    session.commit()


def _upsert(insert) -> Insert:
    statement = insert(Answer.__table__)
    return statement.on_conflict_do_update(
        index_elements=["attempt_id", "item_id"],
        set_={"chosen": statement.excluded.chosen, "answered_at": statement.excluded.answered_at},
    )


_UPSERT_ANSWER = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def _upsert_answer(session: Session, attempt: Attempt, item_id: str, chosen: int, now: datetime) -> None:
    statement = _UPSERT_ANSWER[session.get_bind().dialect.name]
    session.execute(
        statement, {"attempt_id": attempt.id, "item_id": item_id, "chosen": chosen, "answered_at": now}
    )
    # Written past the ORM: what this session may have loaded of the answers is read again.
    stale = session.identity_map.get(identity_key(Answer, (attempt.id, item_id)))
    if stale is not None:
        session.expire(stale)
    session.expire(attempt, ["answers"])


def set_flag(session: Session, attempt: Attempt, item_number: int, flagged: bool) -> bool:
    """Mark (or unmark) question `item_number` "for review": a note to self, never graded. Held like
    an answer (the attempt's lock), so two tabs toggling different questions both keep theirs."""
    if attempt.status != "open":
        raise AttemptError(SUBMITTED, status=409)
    if not 1 <= item_number <= len(attempt.delivered):
        raise AttemptError(f"There is no question {item_number} in this attempt.", status=404)
    if not _hold_open(session, attempt):
        session.rollback()
        raise AttemptError(SUBMITTED, status=409)
    item_id = attempt.delivered[item_number - 1]["item_id"]
    marks = [i for i in (attempt.flagged or []) if i != item_id] + ([item_id] if flagged else [])
    attempt.flagged = marks
    session.commit()
    return flagged


def submit(session: Session, content: CourseContent, attempt: Attempt, *, by: str = "learner") -> bool:
    """Grade and close the attempt, once: of two concurrent submits (two tabs, a double click, the
    timer) exactly one wins, and a repeated submit changes nothing. The grade is of the answers as
    stored under the attempt's lock, so it always equals a regrade of the stored answers.
    Returns whether this call submitted it."""
    if attempt.status == AttemptStatus.submitted:
        return False
    if not _hold_open(session, attempt):
        session.rollback()
        return False
    _close(session, content, attempt, by)
    return True


def _close(session: Session, content: CourseContent, attempt: Attempt, by: str) -> None:
    """Grade the stored answers and close the attempt; the caller holds the attempt (_hold_open)."""
    result = grade_attempt(content, attempt, _stored_answers(session, attempt))
    submitted_at = min(utcnow(), attempt.deadline_at) if attempt.deadline_at else utcnow()
    values = {
        "status": AttemptStatus.submitted,
        "submitted_at": submitted_at,
        "submitted_by": by,
        "correct": result.correct,
        "total": result.total,
        "score": result.score,
        "passed": result.passed,
        "by_objective": {s.objective: [s.correct, s.total] for s in result.by_objective},
        "results_at": utcnow(),
    }
    closed = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.open)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:  # cannot happen while the attempt is held; never grade twice
        session.rollback()
        return
    for name, value in values.items():  # what was just written, without reading the row back
        set_committed_value(attempt, name, value)
    results.store(session, content, attempt.id, result)  # the report reads these, never regrades
    metrics.submitted(by)
    blueprint = content.blueprint(attempt.assessment_id)
    if grades.can_grade(attempt):  # the grade and its delivery commit together: the outbox
        grades.queue_grade(session, attempt, result, blueprint)
    spaced.record_assessment(session, content, attempt, result, blueprint.kind)  # lapses, mastery
    session.commit()
    session.expire(attempt, ["answers"])


def grade_attempt(
    content: CourseContent, attempt: Attempt, answers: dict[str, int] | None = None
) -> GradedAttempt:
    """Grade `answers` (item id -> original option), by default the attempt's stored answers."""
    delivered = [DeliveredItem(d["item_id"], tuple(d["option_order"])) for d in attempt.delivered]
    if answers is None:
        answers = {answer.item_id: answer.chosen for answer in attempt.answers}
    items: dict[str, Item] = {item.id: item for item in content.all_items()}
    return grade(delivered, answers, items, content.blueprint(attempt.assessment_id).pass_mark)


def submit_if_overdue(session: Session, content: CourseContent, attempt: Attempt) -> bool:
    """The server enforces the time limit whatever the browser does."""
    if attempt.status == AttemptStatus.open and is_overdue(attempt):
        submit(session, content, attempt, by="timer")
        return True
    return False
