"""The learner's side: start or resume, one question at a time, review, submit, result.

Pages work without JavaScript (every answer is a form post); with it, answers also save as soon as
they are chosen and a timer counts down. The server holds the items, the answers and the clock.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from courseware.assessment import AttemptStatus, original_to_display
from courseware.mastery import gap_guide, trace
from courseware.model import BlueprintKind
from lti_app.adapters.db import db
from lti_app.adapters.orm import utcnow
from lti_app.adapters.redis_store import store
from lti_app.errors import LaunchError
from lti_app.extensions import content
from lti_app.observability import logs, metrics
from lti_app.services import attempts
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


def _attempt(launch_id: str, attempt_id: int):
    ctx = launch_context(launch_id)
    attempt = attempts.owned_attempt(db(), ctx, attempt_id)
    return ctx, attempt


@bp.get("/")
def home(launch_id: str):
    ctx = launch_context(launch_id)
    if content().blueprint(ctx.assessment_id).kind is BlueprintKind.review:
        return redirect(url_for("spaced.home", launch_id=launch_id))
    current = attempts.open_attempt(db(), ctx, ctx.assessment_id)
    if current is not None and not attempts.submit_if_overdue(db(), content(), current):
        return redirect(url_for(".question", launch_id=launch_id, attempt_id=current.id, number=1))
    return render_template(
        "tool/intro.html",
        ctx=ctx,
        blueprint=content().blueprint(ctx.assessment_id),
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
    state = attempts.view(db(), content(), attempt)
    if not 1 <= number <= len(state.delivered):
        abort(404)
    delivered = state.delivered[number - 1]
    item = next(i for i in content().all_items() if i.id == delivered.item_id)
    options = [item.options[original] for original in delivered.option_order]
    return render_template(
        "tool/question.html",
        ctx=ctx,
        state=state,
        number=number,
        item=item,
        options=options,
        chosen=state.chosen_positions.get(item.id),
        remaining=_remaining_seconds(attempt),
    )


def _remaining_seconds(attempt) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - utcnow()).total_seconds()))


@bp.post("/attempt/<int:attempt_id>/q/<int:number>")
def answer(launch_id: str, attempt_id: int, number: int):
    """Save the choice (if any), then go where the learner asked: next, previous, a number, review."""
    _ctx, attempt = _attempt(launch_id, attempt_id)
    choice = request.form.get("choice")
    if choice is not None:
        try:
            position = int(choice)
        except ValueError:
            raise attempts.AttemptError("Choose one of the four options.") from None
        attempts.save_answer(db(), content(), attempt, number, position)
        metrics.answer_saved()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"saved": choice is not None, "remaining_seconds": _remaining_seconds(attempt)})
    return redirect(_destination(launch_id, attempt, number, request.form.get("go", "next")), code=303)


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
    ctx, attempt = _attempt(launch_id, attempt_id)
    if attempt.status != AttemptStatus.open or attempts.submit_if_overdue(db(), content(), attempt):
        return redirect(url_for(".result", launch_id=launch_id, attempt_id=attempt.id))
    state = attempts.view(db(), content(), attempt)
    return render_template(
        "tool/review.html",
        ctx=ctx,
        state=state,
        choices=_choices(state),
        remaining=_remaining_seconds(attempt),
    )


def _choices(state) -> list[tuple[int, str | None, object | None]]:
    """(number, letter, option) per question as displayed to the learner; (number, None, None) when
    not answered. The review shows what was chosen, never whether it is right."""
    items = {item.id: item for item in content().all_items()}
    rows = []
    for number, delivered in enumerate(state.delivered, start=1):
        position = state.chosen_positions.get(delivered.item_id)
        if position is None:
            rows.append((number, None, None))
        else:
            option = items[delivered.item_id].options[delivered.option_order[position]]
            rows.append((number, "ABCDEFGH"[position], option))
    return rows


@bp.post("/attempt/<int:attempt_id>/submit")
def submit(launch_id: str, attempt_id: int):
    """Submit; with questions unanswered, first a confirmation page (no JavaScript needed): its form
    posts here again with confirm=1. A closed or overdue attempt is submitted (or shown) at once."""
    ctx, attempt = _attempt(launch_id, attempt_id)
    confirmed = request.form.get("confirm") == "1"
    if attempt.status == AttemptStatus.open and not confirmed and not attempts.is_overdue(attempt):
        state = attempts.view(db(), content(), attempt)
        unanswered = [row for row in _choices(state) if row[2] is None]
        if unanswered:
            return render_template(
                "tool/submit_confirm.html",
                ctx=ctx,
                state=state,
                unanswered=[number for number, _, _ in unanswered],
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
    graded = attempts.grade_attempt(content(), attempt)
    state = attempts.view(db(), content(), attempt)
    items = {item.id: item for item in content().all_items()}
    objectives = {o.id: o for o in content().objectives}
    guide = None
    if content().blueprint(attempt.assessment_id).kind is BlueprintKind.diagnostic:
        mastery = trace(
            [(r.objective, r.is_correct) for r in graded.results], [o.id for o in content().objectives]
        )
        guide = gap_guide(mastery, content().objectives)
    return render_template(
        "tool/result.html",
        ctx=ctx,
        attempt=attempt,
        graded=graded,
        state=state,
        items=items,
        objectives=objectives,
        guide=guide,
        display=original_to_display,
    )
