"""An instructor's settings for one resource link: extra time per learner, and when learners may see
the rationales (the explanations of each answer).

Both are enforced here, on the server: the deadline an attempt is held to includes the learner's extra
time (a new attempt gets it at start; saving extra time moves the deadline of an open attempt), and a
result page built while rationales are withheld does not contain them at all.

Rationale policies:
- ``immediately``: on the result page as soon as the attempt is submitted (the default);
- ``after_attempt``: once the attempt's time allowance is over, so a learner who submits a timed
  attempt early reads them when their time is up (an untimed attempt: at once);
- ``never``: not shown to learners (the score, the right answers and the gap guide still are);
- ``after_date``: from a date and time the instructor sets (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from courseware.assessment import AttemptStatus
from lti_app.adapters.orm import Accommodation, Attempt, LaunchRecord, LinkPolicy, utcnow
from lti_app.lti.roles import grants_instructor_view
from lti_app.services.launches import LaunchContext

RATIONALE_POLICIES = {
    "immediately": "Immediately after submitting",
    "after_attempt": "When the attempt's time is over",
    "never": "Never",
    "after_date": "From a date",
}
MAX_EXTRA_MINUTES = 24 * 60
MAX_FACTOR = 4.0


class PolicyError(Exception):
    """A setting that cannot be saved: the message names the field and what is wrong with it."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _link(model, ctx: LaunchContext):
    return (
        model.platform_id == ctx.platform_id,
        model.deployment_id == ctx.deployment_id,
        model.resource_link_id == ctx.resource_link_id,
    )


# --- rationales ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RationaleAccess:
    shown: bool
    note: str = ""  # why not (yet), for the learner


def policy_of(session: Session, ctx: LaunchContext) -> LinkPolicy | None:
    return session.scalar(select(LinkPolicy).where(*_link(LinkPolicy, ctx)))


def rationale_access(session: Session, ctx: LaunchContext, attempt: Attempt) -> RationaleAccess:
    """May this learner see the rationales of this submitted attempt now? Staff always may."""
    policy = policy_of(session, ctx)
    if ctx.is_staff or policy is None or policy.rationales == "immediately":
        return RationaleAccess(True)
    now = utcnow()
    if policy.rationales == "after_attempt":
        if attempt.deadline_at is None or now >= attempt.deadline_at:
            return RationaleAccess(True)
        return RationaleAccess(
            False, f"Explanations are shown when your time is up ({_when(attempt.deadline_at)})."
        )
    if policy.rationales == "after_date" and policy.rationales_from is not None:
        if now >= policy.rationales_from:
            return RationaleAccess(True)
        return RationaleAccess(False, f"Explanations are shown from {_when(policy.rationales_from)}.")
    return RationaleAccess(False, "Your instructor has chosen not to show the explanations.")


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def save_rationale_policy(
    session: Session, ctx: LaunchContext, rationales: str, from_text: str
) -> LinkPolicy:
    """Set when this link's learners see rationales; `from_text` (YYYY-MM-DDTHH:MM, UTC) for a date."""
    if rationales not in RATIONALE_POLICIES:
        raise PolicyError(f"rationales: choose one of {', '.join(RATIONALE_POLICIES)} (got {rationales!r}).")
    moment = None
    if rationales == "after_date":
        try:
            moment = datetime.fromisoformat(from_text.strip()).replace(tzinfo=UTC)
        except ValueError:
            raise PolicyError(
                f"rationales_from: give a date and time as YYYY-MM-DD HH:MM (got {from_text!r})."
            ) from None
    policy = policy_of(session, ctx) or LinkPolicy(
        platform_id=ctx.platform_id, deployment_id=ctx.deployment_id, resource_link_id=ctx.resource_link_id
    )
    policy.rationales, policy.rationales_from = rationales, moment
    policy.updated_at, policy.updated_by = utcnow(), ctx.user_sub
    session.add(policy)
    session.commit()
    return policy


# --- extra time ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerTime:
    user_sub: str
    name: str
    extra_minutes: int
    time_factor: float


def learners_of_link(session: Session, ctx: LaunchContext) -> list[LearnerTime]:
    """The learners of this link, by name: those who launched it (staff left out), took it, or were
    given time (launch records are purged after a while; attempts and accommodations are not)."""
    names: dict[str, str] = {}
    launches = session.execute(
        select(LaunchRecord.user_sub, LaunchRecord.user_name, LaunchRecord.roles)
        .where(*_link(LaunchRecord, ctx))
        .order_by(LaunchRecord.created_at)
    )
    for user_sub, name, roles in launches:
        if not grants_instructor_view(roles or []):
            names[user_sub] = name or names.get(user_sub) or user_sub
    taken = session.execute(
        select(Attempt.user_sub, Attempt.user_name).where(*_link(Attempt, ctx), Attempt.preview.is_(False))
    )
    for user_sub, name in taken:
        names.setdefault(user_sub, name or user_sub)
    given = {a.user_sub: a for a in session.scalars(select(Accommodation).where(*_link(Accommodation, ctx)))}
    for user_sub in given:
        names.setdefault(user_sub, user_sub)
    rows = [
        LearnerTime(sub, name, given[sub].extra_minutes, given[sub].time_factor)
        if sub in given
        else LearnerTime(sub, name, 0, 1.0)
        for sub, name in names.items()
    ]
    return sorted(rows, key=lambda row: (row.name.casefold(), row.user_sub))


def _accommodation(session: Session, ctx: LaunchContext, user_sub: str) -> Accommodation | None:
    return session.scalar(
        select(Accommodation).where(*_link(Accommodation, ctx), Accommodation.user_sub == user_sub)
    )


def allowance(base_minutes: int, extra_minutes: int = 0, factor: float = 1.0) -> timedelta:
    return timedelta(minutes=base_minutes * factor + extra_minutes)


def time_allowance(session: Session, ctx: LaunchContext, base_minutes: int) -> timedelta:
    """The time this learner has on this link: the limit times their factor, plus their extra minutes."""
    given = _accommodation(session, ctx, ctx.user_sub)
    return (
        allowance(base_minutes, given.extra_minutes, given.time_factor) if given else allowance(base_minutes)
    )


def save_extra_time(
    session: Session,
    ctx: LaunchContext,
    user_sub: str,
    minutes_text: str,
    factor_text: str,
    base_minutes: int | None,
) -> LearnerTime:
    """Give a learner of this link extra time; their open timed attempt's deadline moves with it."""
    learner = next((row for row in learners_of_link(session, ctx) if row.user_sub == user_sub), None)
    if learner is None:
        raise PolicyError("user_sub: not a learner who has launched this activity.", status=404)
    try:
        minutes = int(minutes_text.strip() or "0")
    except ValueError:
        raise PolicyError(f"extra_minutes: give whole minutes (got {minutes_text!r}).") from None
    try:
        factor = float(factor_text.strip() or "1")
    except ValueError:
        raise PolicyError(f"time_factor: give a number such as 1.5 (got {factor_text!r}).") from None
    if not 0 <= minutes <= MAX_EXTRA_MINUTES:
        raise PolicyError(f"extra_minutes: must be 0 to {MAX_EXTRA_MINUTES} (got {minutes}).")
    if not 1.0 <= factor <= MAX_FACTOR:
        raise PolicyError(f"time_factor: must be 1 to {MAX_FACTOR:g} (got {factor:g}).")
    given = _accommodation(session, ctx, user_sub) or Accommodation(
        platform_id=ctx.platform_id,
        deployment_id=ctx.deployment_id,
        resource_link_id=ctx.resource_link_id,
        user_sub=user_sub,
    )
    given.extra_minutes, given.time_factor, given.updated_at = minutes, factor, utcnow()
    session.add(given)
    if base_minutes:
        _move_open_deadlines(session, ctx, user_sub, allowance(base_minutes, minutes, factor))
    session.commit()
    return LearnerTime(user_sub, learner.name, minutes, factor)


def _move_open_deadlines(session: Session, ctx: LaunchContext, user_sub: str, allowed: timedelta) -> None:
    """The learner's open attempts on this link are held to the new allowance from their start."""
    for attempt in session.scalars(
        select(Attempt).where(
            *_link(Attempt, ctx),
            Attempt.user_sub == user_sub,
            Attempt.status == AttemptStatus.open,
            Attempt.deadline_at.is_not(None),
        )
    ):
        session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.open)
            .values(deadline_at=attempt.started_at + allowed)
            .execution_options(synchronize_session=False)
        )
