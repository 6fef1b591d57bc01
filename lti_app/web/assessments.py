"""The learner's side: start or resume, one question at a time, answer review, submit, result.

Pages work without JavaScript (every answer is a form post); with it, answers also save as soon as
they are chosen and a timer counts down. The server holds the items, the answers and the clock.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from courseware.assessment import AttemptStatus
from courseware.model import BlueprintKind
from lti_app.adapters.db import db
from lti_app.adapters.orm import utcnow
from lti_app.adapters.redis_store import store
from lti_app.errors import LaunchError
from lti_app.extensions import content
from lti_app.observability import logs, metrics
from lti_app.services import attempt_pages, attempts, policies
from lti_app.services.launches import LaunchContext, load_launch
from lti_app.web.csrf import protect

bp = Blueprint("assessments", __name__, url_prefix="/a/<launch_id>")
bp.before_request(protect)


def launch_context(launch_id: str) -> LaunchContext:
    ctx = load_launch(db(), store(), launch_id)
    if ctx is None or not ctx.resource_link_id:
        raise LaunchError(
            "This page has expired",
            "the launch behind this link is unknown or too old",
            "Open the activity again from your course in the LMS.",
            status=403,
        )
    logs.bind_launch(ctx)  # platform and deployment in this request's log lines
    return ctx


def _attempt(launch_id: str, attempt_id: int, *, hold: bool = False):
    ctx = launch_context(launch_id)
    attempt = attempts.owned_attempt(db(), ctx, attempt_id, hold=hold)
    return ctx, attempt


@bp.get("/")
def home(launch_id: str):
    ctx = launch_context(launch_id)
    if content().blueprint(ctx.assessment_id).kind is BlueprintKind.review:
        return redirect(url_for("spaced.home", launch_id=launch_id))
    current = attempts.open_attempt(db(), ctx, ctx.assessment_id)
    if current is not None and not attempts.submit_if_overdue(db(), content(), current):
        return redirect(url_for(".question", launch_id=launch_id, attempt_id=current.id, number=1))
    blueprint = content().blueprint(ctx.assessment_id)
    limit = blueprint.time_limit_minutes
    return render_template(
        "tool/intro.html",
        ctx=ctx,
        blueprint=blueprint,
        allowed_minutes=round(policies.time_allowance(db(), ctx, limit).total_seconds() / 60)
        if limit
        else None,
        past=[] if ctx.is_staff else attempts.attempts_of(db(), ctx, ctx.assessment_id),
    )


@bp.post("/start")
def start(launch_id: str):
    ctx = launch_context(launch_id)
    attempt = attempts.start_attempt(db(), content(), ctx, ctx.assessment_id)
    return redirect(url_for(".question", launch_id=launch_id, attempt_id=attempt.id, number=1), code=303)


@bp.get("/attempt/<int:attempt_id>/q/<int:number>")
def question(launch_id: str, attempt_id: int, number: int):
    ctx, attempt = _attempt(launch_id, attempt_id)
    if attempt.status != AttemptStatus.open or attempts.submit_if_overdue(db(), content(), attempt):
        return redirect(url_for(".result", launch_id=launch_id, attempt_id=attempt.id))
    shown = attempt_pages.question_view(db(), content(), attempt, number)
    if shown is None:
        abort(404)
    return render_template("tool/question.html", ctx=ctx, q=shown, remaining=_remaining_seconds(attempt))


def _remaining_seconds(attempt) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - utcnow()).total_seconds()))


@bp.post("/attempt/<int:attempt_id>/q/<int:number>")
def answer(launch_id: str, attempt_id: int, number: int):
    """Save the choice (if any) and the "mark for review" flag (if its button was pressed), then go
    where the learner asked: next, previous, a number, the answer review (a flag stays on the page)."""
    _ctx, attempt = _attempt(launch_id, attempt_id, hold=True)
    choice = request.form.get("choice")
    if choice is not None:
        try:
            position = int(choice)
        except ValueError:
            raise attempts.AttemptError("Choose one of the four options.") from None
        attempts.save_answer(db(), content(), attempt, number, position)
        metrics.answer_saved()
    flag = request.form.get("flag")
    if flag is not None:
        if flag not in ("on", "off"):
            raise attempts.AttemptError("flag: must be on or off.")
        attempts.set_flag(db(), attempt, number, flag == "on")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            {
                "saved": choice is not None,
                "flagged": attempt.delivered[number - 1]["item_id"] in (attempt.flagged or []),
                "remaining_seconds": _remaining_seconds(attempt),
            }
        )
    go = "stay" if flag is not None else request.form.get("go", "next")
    return redirect(_destination(launch_id, attempt, number, go), code=303)


def _destination(launch_id: str, attempt, number: int, go: str) -> str:
    count = len(attempt.delivered)
    if go == "review" or (go == "next" and number >= count):
        return url_for(".review", launch_id=launch_id, attempt_id=attempt.id)
    target = {"next": number + 1, "previous": number - 1}.get(go)
    if target is None:
        target = int(go) if go.isdigit() else number
    return url_for(".question", launch_id=launch_id, attempt_id=attempt.id, number=min(max(target, 1), count))


@bp.get("/attempt/<int:attempt_id>/review")
def review(launch_id: str, attempt_id: int):
    """The answer review before submitting (not the spaced review): each choice as made, or not."""
    ctx, attempt = _attempt(launch_id, attempt_id)
    if attempt.status != AttemptStatus.open or attempts.submit_if_overdue(db(), content(), attempt):
        return redirect(url_for(".result", launch_id=launch_id, attempt_id=attempt.id))
    state = attempts.view(db(), content(), attempt)
    return render_template(
        "tool/answer_review.html",
        ctx=ctx,
        state=state,
        choices=attempt_pages.choices(content(), state),
        remaining=_remaining_seconds(attempt),
    )


@bp.post("/attempt/<int:attempt_id>/submit")
def submit(launch_id: str, attempt_id: int):
    """Submit; with questions unanswered, first a confirmation page (no JavaScript needed): its form
    posts here again with confirm=1. A closed or overdue attempt is submitted (or shown) at once."""
    ctx, attempt = _attempt(launch_id, attempt_id, hold=True)
    confirmed = request.form.get("confirm") == "1"
    if attempt.status == AttemptStatus.open and not confirmed and not attempts.is_overdue(attempt):
        state = attempts.view(db(), content(), attempt)
        rows = attempt_pages.choices(content(), state)
        if unanswered := [row.number for row in rows if row.option is None]:
            return render_template(
                "tool/submit_confirm.html",
                ctx=ctx,
                state=state,
                unanswered=unanswered,
                flagged=[row.number for row in rows if row.flagged],
                remaining=_remaining_seconds(attempt),
            )
    attempts.submit(db(), content(), attempt, by="learner")
    return redirect(url_for(".result", launch_id=launch_id, attempt_id=attempt.id), code=303)


@bp.get("/attempt/<int:attempt_id>/result")
def result(launch_id: str, attempt_id: int):
    ctx, attempt = _attempt(launch_id, attempt_id)
    attempts.submit_if_overdue(db(), content(), attempt)
    if attempt.status != AttemptStatus.submitted:
        return redirect(url_for(".review", launch_id=launch_id, attempt_id=attempt.id))
    return render_template(
        "tool/result.html", ctx=ctx, r=attempt_pages.result_view(db(), content(), ctx, attempt)
    )
