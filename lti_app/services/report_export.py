"""The instructor report as CSV: one row per learner and attempt (learners without attempts get one
row too), streamed in constant memory: attempts are read in batches (`yield_per`) in learner order
and each row is written out as it is made, whatever the class size.

Text cells a spreadsheet would read as a formula are neutralised (`spreadsheet_safe`): learners
choose their LMS names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from courseware.model import CourseContent
from lti_app.adapters.orm import Attempt, GradeDelivery
from lti_app.services.launches import LaunchContext
from lti_app.services.reports import Member, SyncState, scope

BATCH = 500  # attempts per round trip to the database
CHUNK = 32 * 1024  # characters per piece of the response
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> object:
    """A text cell a spreadsheet would read as a formula (it starts with =, +, -, @, tab or CR) gets a
    leading single quote, as OWASP advises against CSV injection: learners choose their LMS names."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return "'" + cell
    return cell


@dataclass(frozen=True)
class ExportAttempt:
    """What one CSV row says about one attempt (None: a learner who has not started)."""

    number: int
    status: str
    started_at: datetime
    submitted_at: datetime | None
    correct: int | None
    total: int | None
    score: float | None
    passed: bool | None
    by_objective: dict | None
    sync: SyncState


def header(objectives: list[str]) -> list[str]:
    return [
        "learner", "user_id", "attempt", "status", "started_utc", "submitted_utc", "duration_seconds",
        "correct", "total", "score_percent", "passed", *objectives, "grade_sync",
    ]  # fmt: skip


def row(name: str, user_sub: str, a: ExportAttempt | None, objectives: list[str]) -> list[object]:
    if a is None:
        return [name, user_sub, "", "not started"] + [""] * (8 + len(objectives))
    per_objective = a.by_objective or {}
    duration = a.submitted_at - a.started_at if a.submitted_at else None
    return [
        name,
        user_sub,
        a.number,
        a.status,
        a.started_at.isoformat(timespec="seconds"),
        a.submitted_at.isoformat(timespec="seconds") if a.submitted_at else "",
        int(duration.total_seconds()) if duration else "",
        a.correct if a.correct is not None else "",
        a.total if a.total is not None else "",
        round(100 * a.score) if a.score is not None else "",
        {True: "yes", False: "no"}.get(a.passed, ""),
        *[f"{per_objective[o][0]}/{per_objective[o][1]}" if o in per_objective else "" for o in objectives],
        a.sync.describe,
    ]


def csv_lines(rows: Iterable[list[object]], chunk: int = CHUNK) -> Iterator[str]:
    """The rows as CSV text (spreadsheet-safe cells; numbers as they are), in pieces of about
    `chunk` characters: few enough writes to the socket, never more than one piece in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cells in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
        if buffer.tell() >= chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def export_rows(
    session: Session, content: CourseContent, ctx: LaunchContext, members: list[Member]
) -> Iterator[list[object]]:
    """The header, then every learner's rows by name: attempts streamed from one ordered query,
    roster learners who never launched merged in by name (the roster is already in memory)."""
    objectives = [o.id for o in content.objectives]
    yield header(objectives)
    names = {m.user_sub: m.name for m in members if m.is_learner}
    shown_name = func.coalesce(func.nullif(Attempt.user_name, ""), Attempt.user_sub)
    query = (
        select(
            Attempt.user_sub,
            Attempt.user_name,
            Attempt.status,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.correct,
            Attempt.total,
            Attempt.score,
            Attempt.passed,
            Attempt.by_objective,
            GradeDelivery.id.label("delivery_id"),
            GradeDelivery.status.label("delivery_status"),
            GradeDelivery.synced_at,
            GradeDelivery.retrying_since,
            GradeDelivery.last_error,
        )
        .outerjoin(GradeDelivery, GradeDelivery.attempt_id == Attempt.id)
        .where(*scope(ctx))
        .order_by(func.lower(shown_name), Attempt.user_sub, Attempt.started_at, Attempt.id)
        .execution_options(yield_per=BATCH)  # PostgreSQL: a server-side cursor, BATCH rows at a time
    )
    # Roster learners without attempts, in name order, merged into the attempts' name order.
    started = set(session.scalars(select(Attempt.user_sub).where(*scope(ctx)).distinct()))
    waiting = sorted(((n.casefold(), sub) for sub, n in names.items() if sub not in started), reverse=True)
    current, number = None, 0
    for a in session.execute(query):
        if a.user_sub != current:
            current, number = a.user_sub, 0
            key = ((a.user_name or a.user_sub).casefold(), a.user_sub)
            while waiting and waiting[-1] < key:
                _, sub = waiting.pop()
                yield row(names[sub], sub, None, objectives)
        number += 1
        name = names.get(a.user_sub) or a.user_name or a.user_sub
        yield row(name, a.user_sub, _exported(a, number), objectives)
    for _, sub in reversed(waiting):
        yield row(names[sub], sub, None, objectives)


def _exported(a, number: int) -> ExportAttempt:
    if a.delivery_id is None:
        sync = SyncState("not sent")
    else:
        since = {"synced": a.synced_at, "retrying": a.retrying_since}.get(a.delivery_status)
        sync = SyncState(a.delivery_status, since, a.last_error, a.delivery_id)
    return ExportAttempt(
        number, a.status, a.started_at, a.submitted_at, a.correct, a.total, a.score, a.passed,
        a.by_objective, sync,
    )  # fmt: skip
