"""The instructor's review of one activity: every learner (roster from NRPS where the platform
offers it), their attempts, the grade's sync state, the class at a glance, and item statistics.

Everything is scoped to the launch's platform, deployment, course and resource link: instructors
of one course or deployment never see another's learners.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from courseware.assessment import AttemptStatus
from courseware.mastery import trace
from courseware.model import CourseContent, ObjectiveKind
from courseware.statistics import (
    ItemStatistics,
    QuizStatistics,
    first_attempts,
    histogram,
    item_statistics,
    quiz_statistics,
)
from lti_app.adapters.lms_client import LmsClient, LmsError
from lti_app.adapters.orm import Attempt, GradeDelivery, Platform
from lti_app.lti.claims import NRPS as NRPS_CLAIM
from lti_app.lti.claims import NRPS_SCOPE as NRPS_SCOPE_URI
from lti_app.lti.keys import signing_key
from lti_app.lti.roles import context_role
from lti_app.services.attempts import grade_attempt
from lti_app.services.delivery import resync
from lti_app.services.launches import LaunchContext

NRPS_SCOPE = (NRPS_SCOPE_URI,)
ROSTER_TTL_SECONDS = 300


@dataclass(frozen=True)
class Member:
    user_sub: str
    name: str
    is_learner: bool


@dataclass(frozen=True)
class SyncState:
    status: str  # synced | pending | retrying | failed | superseded | not sent
    since: datetime | None = None
    message: str | None = None
    delivery_id: int | None = None

    @property
    def describe(self) -> str:
        when = f"{self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return {
            "synced": f"synced at {when}",
            "pending": "pending",
            "retrying": f"retrying since {when}" + (f": {self.message}" if self.message else ""),
            "failed": "failed" + (f": {self.message}" if self.message else ""),
            "superseded": "replaced by a newer attempt",
        }.get(self.status, "not sent (no gradebook column for this link)")


@dataclass
class AttemptSummary:
    attempt: Attempt
    number: int
    sync: SyncState

    @property
    def duration(self) -> timedelta | None:
        end = self.attempt.submitted_at
        return end - self.attempt.started_at if end else None


@dataclass
class LearnerRow:
    user_sub: str
    name: str
    attempts: list[AttemptSummary] = field(default_factory=list)

    @property
    def latest(self) -> AttemptSummary | None:
        submitted = [a for a in self.attempts if a.attempt.status == AttemptStatus.submitted]
        return submitted[-1] if submitted else None


@dataclass
class ClassReport:
    rows: list[LearnerRow]
    roster_note: str | None
    mastery: list[tuple[str, float]]  # (activity title, mean mastery 0..1) over learners' latest attempts
    distribution: list[int]  # latest scores in ten 10% bands
    items: list[ItemStatistics]  # over each learner's first attempt, as Moodle's default
    quiz: QuizStatistics | None = None  # the test as a whole, same attempts
    all_attempts: bool = False  # statistics over every attempt, not only first ones

    @property
    def failed_ids(self) -> list[int]:
        return [
            summary.sync.delivery_id
            for row in self.rows
            for summary in row.attempts
            if summary.sync.status == "failed" and summary.sync.delivery_id
        ]


def scope(ctx: LaunchContext):
    return (
        Attempt.platform_id == ctx.platform_id,
        Attempt.deployment_id == ctx.deployment_id,
        Attempt.context_id == ctx.context_id,
        Attempt.resource_link_id == ctx.resource_link_id,
        Attempt.preview.is_(False),
    )


def resync_scoped(session: Session, ctx: LaunchContext, delivery_ids: list[int] | None) -> int:
    """Resync the given grades (None: every failed one) of this launch's activity only."""
    query = select(GradeDelivery.id).where(
        GradeDelivery.platform_id == ctx.platform_id,
        GradeDelivery.deployment_id == ctx.deployment_id,
        GradeDelivery.context_id == ctx.context_id,
        GradeDelivery.resource_link_id == ctx.resource_link_id,
    )
    if delivery_ids is None:
        query = query.where(GradeDelivery.status == "failed")
    else:
        query = query.where(GradeDelivery.id.in_(delivery_ids))
    ids = list(session.scalars(query))
    return resync(session, ids) if ids else 0


def _sync(delivery: GradeDelivery | None) -> SyncState:
    if delivery is None:
        return SyncState("not sent")
    since = {"synced": delivery.synced_at, "retrying": delivery.retrying_since}.get(delivery.status)
    return SyncState(delivery.status, since, delivery.last_error, delivery.id)


def roster(
    session: Session, cache: redis.Redis, ctx: LaunchContext, timeout: float
) -> tuple[list[Member], str | None]:
    """The course's members from NRPS, every page of them (cached briefly), or an empty list and why:
    a roster the LMS pages past the client's bound is reported as unreadable, never shown in part."""
    service = ctx.claims.get(NRPS_CLAIM) or {}
    url = service.get("context_memberships_url")
    if not url:
        return [], "This LMS did not offer its course roster (NRPS): learners appear once they launch."
    key = f"skarp:roster:{ctx.platform_id}:{ctx.context_id}"
    cached = cache.get(key)
    if cached is not None:
        return [Member(**member) for member in json.loads(cached)], None
    client = LmsClient(session.get(Platform, ctx.platform_id), signing_key(session), cache, timeout=timeout)
    try:
        body = client.memberships(url, NRPS_SCOPE)
    except (LmsError, ValueError) as error:  # ValueError: a page that is not JSON
        return [], f"The course roster could not be read from the LMS ({error})."
    members = members_from_nrps(body)
    cache.set(key, json.dumps([m.__dict__ for m in members]), ex=ROSTER_TTL_SECONDS)
    return members, None


def members_from_nrps(body: object) -> list[Member]:
    """The active members of an NRPS answer; entries that are not well-formed are skipped, not fatal.

    A learner is someone whose *context* role is Learner (`lti_app.lti.roles`): an institution Learner
    who teaches this course is not one."""
    entries = body.get("members") if isinstance(body, dict) else None
    members = []
    for m in entries if isinstance(entries, list) else []:
        if not isinstance(m, dict) or not isinstance(m.get("user_id"), str) or not m["user_id"]:
            continue
        if m.get("status", "Active") != "Active":
            continue
        names = [m.get(field) for field in ("name", "given_name", "family_name")]
        name, given, family = (n if isinstance(n, str) else "" for n in names)
        roles = m.get("roles") if isinstance(m.get("roles"), list) else []
        members.append(
            Member(
                user_sub=m["user_id"],
                name=name or " ".join(filter(None, [given, family])) or m["user_id"],
                is_learner=any(context_role(role) == "Learner" for role in roles),
            )
        )
    return members


def class_report(
    session: Session,
    content: CourseContent,
    ctx: LaunchContext,
    members: list[Member],
    roster_note: str | None,
    all_attempts: bool = False,
) -> ClassReport:
    """`all_attempts`: item statistics over every graded attempt instead of each learner's first
    (Moodle's option, which its guide warns may be statistically invalid)."""
    attempts = list(
        session.scalars(select(Attempt).where(*scope(ctx)).order_by(Attempt.started_at, Attempt.id))
    )
    ids = [a.id for a in attempts]
    deliveries = {
        d.attempt_id: d
        for d in session.scalars(select(GradeDelivery).where(GradeDelivery.attempt_id.in_(ids)))
    }
    rows: dict[str, LearnerRow] = {
        m.user_sub: LearnerRow(m.user_sub, m.name) for m in members if m.is_learner
    }
    for attempt in attempts:
        row = rows.setdefault(
            attempt.user_sub, LearnerRow(attempt.user_sub, attempt.user_name or attempt.user_sub)
        )
        row.attempts.append(AttemptSummary(attempt, len(row.attempts) + 1, _sync(deliveries.get(attempt.id))))
    ordered = sorted(rows.values(), key=lambda r: (r.name.casefold(), r.user_sub))
    # A review's completion records have no questions of their own (nothing to grade item by item).
    graded = {
        a.id: grade_attempt(content, a)
        for a in attempts
        if a.status == AttemptStatus.submitted and a.delivered
    }
    latest = [row.latest.attempt for row in ordered if row.latest]
    return ClassReport(
        rows=ordered,
        roster_note=roster_note,
        mastery=_class_mastery(content, [graded[a.id] for a in latest if a.id in graded]),
        distribution=histogram([a.score or 0.0 for a in latest]),
        all_attempts=all_attempts,
        **_statistics(attempts, graded, all_attempts),
    )


def _statistics(attempts: list[Attempt], graded: dict, all_attempts: bool = False) -> dict:
    """Item and test statistics over each learner's first graded attempt (Moodle's default: later
    attempts build on the first), or over all of them. A slot is (objective, n-th item of it): a
    per-objective draw puts different items in it, as a Moodle random question does; every attempt
    of a blueprint has the same slots, so the test's CIC is over those."""
    taken = [a for a in attempts if a.id in graded]
    analysed = [
        graded[a.id] for a in (taken if all_attempts else first_attempts([(a.user_sub, a) for a in taken]))
    ]
    slots = []
    for g in analysed:
        per_objective: dict[str, int] = {}
        row = {}
        for r in sorted(g.results, key=lambda r: (r.objective, r.item_id)):
            per_objective[r.objective] = per_objective.get(r.objective, 0) + 1
            row[f"{r.objective}#{per_objective[r.objective]}"] = r.is_correct
        slots.append(row)
    try:
        quiz = quiz_statistics(slots) if analysed else None
    except ValueError:  # the blueprint changed between attempts: no common slots to compare
        quiz = None
    return {
        "items": item_statistics([{r.item_id: r.is_correct for r in g.results} for g in analysed]),
        "quiz": quiz,
    }


def _class_mastery(content: CourseContent, latest) -> list[tuple[str, float]]:
    activities = [o for o in content.objectives if o.kind is ObjectiveKind.activity]
    ids = [o.id for o in content.objectives]
    per_learner = [trace([(r.objective, r.is_correct) for r in g.results], ids) for g in latest]
    if not per_learner:
        return []
    return [(o.title, sum(m[o.id] for m in per_learner) / len(per_learner)) for o in activities]


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> object:
    """A text cell a spreadsheet would read as a formula (it starts with =, +, -, @, tab or CR) gets a
    leading single quote, as OWASP advises against CSV injection: learners choose their LMS names."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return "'" + cell
    return cell


class _SafeWriter:
    """csv.writer whose text cells are spreadsheet_safe; numbers are written as they are."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._writer = csv.writer(buffer)

    def writerow(self, row: list[object]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])


def export_csv(content: CourseContent, report: ClassReport) -> str:
    """One row per learner and attempt (learners without attempts get one row too)."""
    objectives = [o.id for o in content.objectives]
    buffer = io.StringIO()
    writer = _SafeWriter(buffer)
    writer.writerow(
        [
            "learner",
            "user_id",
            "attempt",
            "status",
            "started_utc",
            "submitted_utc",
            "duration_seconds",
            "correct",
            "total",
            "score_percent",
            "passed",
            *objectives,
            "grade_sync",
        ]
    )
    for row in report.rows:
        if not row.attempts:
            writer.writerow([row.name, row.user_sub, "", "not started"] + [""] * (8 + len(objectives)))
        for summary in row.attempts:
            a = summary.attempt
            per_objective = a.by_objective or {}
            writer.writerow(
                [
                    row.name,
                    row.user_sub,
                    summary.number,
                    a.status,
                    a.started_at.isoformat(timespec="seconds"),
                    a.submitted_at.isoformat(timespec="seconds") if a.submitted_at else "",
                    int(summary.duration.total_seconds()) if summary.duration else "",
                    a.correct if a.correct is not None else "",
                    a.total if a.total is not None else "",
                    round(100 * a.score) if a.score is not None else "",
                    {True: "yes", False: "no"}.get(a.passed, ""),
                    *[
                        f"{per_objective[o][0]}/{per_objective[o][1]}" if o in per_objective else ""
                        for o in objectives
                    ],
                    summary.sync.describe,
                ]
            )
    return buffer.getvalue()
