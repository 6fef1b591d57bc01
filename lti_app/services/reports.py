"""The instructor report of one activity: every learner (roster from NRPS where the platform offers
it) with their latest score, attempts and the grade's sync state, sorted, filtered and paged in SQL
over the results stored at submit (`lti_app.services.results`): nothing is regraded to show a page.

Everything is scoped to the launch's platform, deployment, course and resource link: instructors
of one course or deployment never see another's learners. The class summary and item statistics
are in `report_summary`, the CSV export in `report_export`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from sqlalchemy import String, case, column, func, literal, select, text, union
from sqlalchemy.orm import Session, defer

from courseware.assessment import AttemptStatus
from lti_app.adapters.lms_client import LmsClient, LmsError
from lti_app.adapters.orm import Attempt, AttemptItemResult, GradeDelivery, Platform
from lti_app.lti.claims import NRPS as NRPS_CLAIM
from lti_app.lti.claims import NRPS_SCOPE as NRPS_SCOPE_URI
from lti_app.lti.keys import signing_key
from lti_app.lti.roles import context_role
from lti_app.services.delivery import resync
from lti_app.services.launches import LaunchContext
from lti_app.services.report_query import (  # noqa: F401 (the report's query vocabulary, re-exported)
    PAGE_SIZE,
    RESULTS,
    SORTS,
    SYNC_STATES,
    ReportQuery,
    ReportQueryError,
)

NRPS_SCOPE = (NRPS_SCOPE_URI,)
ROSTER_TTL_SECONDS = 300


@dataclass(frozen=True)
class Member:
    user_sub: str
    name: str
    is_learner: bool


@dataclass(frozen=True)
class SyncState:
    status: str  # synced | pending | retrying | failed | superseded | not sent | not submitted | not started
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
            "not submitted": "no attempt submitted yet",
            "not started": "not started",
        }.get(self.status, "not sent (no gradebook column for this link)")


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


# --- the learner table: one row per learner, sorted, filtered and paged by the database -------------


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
    attempt_count: int = 0
    score: float | None = None  # latest submitted attempt
    correct: int | None = None
    total: int | None = None
    passed: bool | None = None
    last_submit: datetime | None = None
    sync: SyncState = field(default_factory=lambda: SyncState("not started"))
    attempts: list[AttemptSummary] = field(default_factory=list)


@dataclass
class LearnerPage:
    rows: list[LearnerRow]
    total: int  # learners matching the filters
    page: int
    pages: int
    failed: int  # failed grades of the whole activity (the "resync all" button)
    note: str | None = None  # e.g. a page past the end, shown instead of an empty table


def scope(ctx: LaunchContext):
    return (
        Attempt.platform_id == ctx.platform_id,
        Attempt.deployment_id == ctx.deployment_id,
        Attempt.context_id == ctx.context_id,
        Attempt.resource_link_id == ctx.resource_link_id,
        Attempt.preview.is_(False),
    )


def latest_attempts(ctx: LaunchContext, *, first: bool = False, graded_only: bool = False):
    """Each learner's latest submitted attempt (or first), as a subquery: one window function."""
    direction = (Attempt.started_at, Attempt.id) if first else (Attempt.started_at.desc(), Attempt.id.desc())
    where = [*scope(ctx), Attempt.status == AttemptStatus.submitted]
    if graded_only:
        where.append(
            select(AttemptItemResult.attempt_id).where(AttemptItemResult.attempt_id == Attempt.id).exists()
        )
    ranked = (
        select(
            Attempt.id,
            Attempt.user_sub,
            Attempt.score,
            Attempt.correct,
            Attempt.total,
            Attempt.passed,
            func.row_number().over(partition_by=Attempt.user_sub, order_by=direction).label("rn"),
        )
        .where(*where)
        .subquery("ranked")
    )
    return select(ranked).where(ranked.c.rn == 1).subquery("first" if first else "latest")


def _learners_select(ctx: LaunchContext, members: list[Member]):
    """Every learner of the activity (roster learners and anyone with an attempt), one row each,
    with the sortable columns; the roster travels as a VALUES list (it lives in the LMS, not here).

    The attempts are read in one pass: window functions give each learner's count, last submit and
    latest submitted attempt (row 1 of their attempts, submitted ones first, newest first)."""
    submitted = Attempt.status == AttemptStatus.submitted
    learner = {"partition_by": Attempt.user_sub}
    ranked = (
        select(
            Attempt.id,
            Attempt.user_sub,
            Attempt.status,
            Attempt.score,
            Attempt.correct,
            Attempt.total,
            Attempt.passed,
            func.count(Attempt.id).over(**learner).label("attempts"),
            func.max(Attempt.submitted_at).over(**learner).label("last_submit"),
            func.max(Attempt.user_name).over(**learner).label("attempt_name"),
            func.row_number()
            .over(
                **learner,
                order_by=(case((submitted, 0), else_=1), Attempt.started_at.desc(), Attempt.id.desc()),
            )
            .label("rn"),
        )
        .where(*scope(ctx))
        .subquery("ranked")
    )
    per = select(ranked).where(ranked.c.rn == 1).subquery("per_learner")
    has_latest = per.c.status == AttemptStatus.submitted
    learners = {m.user_sub: m.name for m in members if m.is_learner}
    if learners:
        roster = _roster_cte(learners)
        everyone = union(select(roster.c.column1.label("user_sub")), select(per.c.user_sub)).subquery(
            "everyone"
        )
        user_sub, roster_name = everyone.c.user_sub, roster.c.column2
    else:
        user_sub, roster_name = per.c.user_sub, literal(None, String)
    name = func.coalesce(roster_name, func.nullif(per.c.attempt_name, ""), user_sub)
    latest = {
        key: case((has_latest, per.c[key]), else_=None)
        for key in ("id", "score", "correct", "total", "passed")
    }
    sync = case(
        (per.c.id.is_(None), "not started"),
        (~has_latest, "not submitted"),
        else_=func.coalesce(GradeDelivery.status, "not sent"),
    )
    attempts = func.coalesce(per.c.attempts, 0)
    query = select(
        user_sub.label("user_sub"),
        name.label("name"),
        attempts.label("attempts"),
        per.c.last_submit,
        *(value.label(key) for key, value in latest.items() if key != "id"),
        sync.label("sync"),
        GradeDelivery.id.label("delivery_id"),
        GradeDelivery.synced_at,
        GradeDelivery.retrying_since,
        GradeDelivery.last_error,
    )
    if learners:
        query = query.select_from(everyone).outerjoin(roster, roster.c.column1 == everyone.c.user_sub)
        query = query.outerjoin(per, per.c.user_sub == everyone.c.user_sub)
    else:
        query = query.select_from(per)
    query = query.outerjoin(GradeDelivery, (GradeDelivery.attempt_id == per.c.id) & has_latest)
    columns = {
        "name": func.lower(name),
        "score": latest["score"],
        "attempts": attempts,
        "submitted": per.c.last_submit,
        "sync": sync,
        "passed": latest["passed"],
        "user_sub": user_sub,
    }
    return query, columns, name


def _roster_cte(learners: dict[str, str]):
    """The roster as `WITH roster AS (VALUES (:s0, :n0), ...)`: SQLite and PostgreSQL both name a
    VALUES list's columns column1, column2 (SQLite has no `AS t (a, b)` column aliases). Two bound
    parameters per learner: within both databases' limits for rosters up to 16,000 learners."""
    params = {}
    for index, (sub, name) in enumerate(learners.items()):
        params[f"s{index}"], params[f"n{index}"] = sub, name
    rows = ", ".join(f"(:s{i}, :n{i})" for i in range(len(learners)))
    return (
        text(f"VALUES {rows}")
        .bindparams(**params)
        .columns(column("column1", String), column("column2", String))
        .cte("roster")
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def learner_page(
    session: Session, ctx: LaunchContext, members: list[Member], query: ReportQuery
) -> LearnerPage:
    """One page of learners as `query` asks, each with their attempts (for the row's details)."""
    select_, columns, name = _learners_select(ctx, members)
    if query.search:
        select_ = select_.where(func.lower(name).like(_like(query.search), escape="\\"))
    if query.result:
        select_ = select_.where(columns["passed"].is_(query.result == "passed"))
    if query.sync:
        select_ = select_.where(columns["sync"] == query.sync)
    key = columns[query.sort]
    direction = key.desc() if query.descending else key.asc()
    ordered = select_.add_columns(func.count().over().label("matching")).order_by(
        key.is_(None), direction, columns["name"], columns["user_sub"]
    )

    def fetch(page: int) -> list:
        return session.execute(ordered.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()

    page, note = query.page, None
    found = fetch(page)  # the matching count comes with the page (a window over the filtered rows)
    total = found[0].matching if found else 0
    if not found and page > 1:  # past the end: count, then show the last page and say so
        total = session.scalar(select(func.count()).select_from(select_.subquery("filtered"))) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        note = (
            f"There is no page {page} ({pages} page{'s' if pages != 1 else ''} here); showing page {pages}."
        )
        page = pages
        found = fetch(page)
    rows = [
        LearnerRow(
            user_sub=r.user_sub,
            name=r.name,
            attempt_count=r.attempts,
            score=r.score,
            correct=r.correct,
            total=r.total,
            passed=r.passed,
            last_submit=r.last_submit,
            sync=SyncState(
                r.sync,
                {"synced": r.synced_at, "retrying": r.retrying_since}.get(r.sync),
                r.last_error if r.delivery_id else None,
                r.delivery_id,
            ),
        )
        for r in found
    ]
    _attach_attempts(session, ctx, rows)
    return LearnerPage(rows, total, page, pages, failed_count(session, ctx), note)


def _attach_attempts(session: Session, ctx: LaunchContext, rows: list[LearnerRow]) -> None:
    """The attempts of this page's learners only (bounded by the page size, not the class)."""
    by_sub = {row.user_sub: row for row in rows}
    if not by_sub:
        return
    attempts = list(
        session.scalars(
            select(Attempt)
            .options(defer(Attempt.delivered), defer(Attempt.gradebook))
            .where(*scope(ctx), Attempt.user_sub.in_(list(by_sub)))
            .order_by(Attempt.started_at, Attempt.id)
        )
    )
    deliveries = {
        d.attempt_id: d
        for d in session.scalars(
            select(GradeDelivery).where(GradeDelivery.attempt_id.in_([a.id for a in attempts]))
        )
    }
    for attempt in attempts:
        row = by_sub[attempt.user_sub]
        row.attempts.append(AttemptSummary(attempt, len(row.attempts) + 1, _sync(deliveries.get(attempt.id))))


def failed_count(session: Session, ctx: LaunchContext) -> int:
    return (
        session.scalar(
            select(func.count(GradeDelivery.id)).where(
                GradeDelivery.platform_id == ctx.platform_id,
                GradeDelivery.deployment_id == ctx.deployment_id,
                GradeDelivery.context_id == ctx.context_id,
                GradeDelivery.resource_link_id == ctx.resource_link_id,
                GradeDelivery.status == "failed",
            )
        )
        or 0
    )
