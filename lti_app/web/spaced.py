"""The learner's spaced review: what is due today, one card at a time, mastery over time, the gap guide.

Reached only through the learner's own launch (/r/<launch_id>/...): from a review link, or from the
diagnostic's result page. The cards are the launch's learner's and nobody else's. Pages work without
JavaScript: a flashcard's answer is revealed by a <details> element whose summary then gives way to the
rating buttons (CSS), ratings and answers are form posts. The blueprint is "spaced" (endpoints
spaced.home, spaced.card, ...): "review" alone is the answer review before submitting.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from courseware.model import ObjectiveKind
from courseware.spaced import CardKind, Recall, interval_label
from lti_app.adapters.db import db
from lti_app.adapters.orm import utcnow
from lti_app.extensions import content
from lti_app.services import spaced
from lti_app.services.launches import LaunchContext
from lti_app.web.assessments import launch_context
from lti_app.web.charts import mastery_chart
from lti_app.web.csrf import protect

bp = Blueprint("spaced", __name__, url_prefix="/r/<launch_id>")
bp.before_request(protect)
SOURCES = {"diagnostic": "Diagnostic", "mock_exam": "Mock exam", "review": "Practice question"}


def _new_per_day() -> int:
    return current_app.config.get("REVIEW_NEW_CARDS_PER_DAY", spaced.NEW_CARDS_PER_DAY)


def _queue(ctx: LaunchContext) -> spaced.Queue:
    return spaced.queue(db(), content(), spaced.Learner.of(ctx), utcnow(), _new_per_day())


@bp.get("/")
def home(launch_id: str):
    ctx = launch_context(launch_id)
    learner = spaced.Learner.of(ctx)
    queue = _queue(ctx)
    history = spaced.mastery_history(db(), learner)
    activities = [o for o in content().objectives if o.kind is ObjectiveKind.activity]
    mastery = spaced.mastery_of(db(), content(), learner)
    return render_template(
        "tool/spaced_home.html",
        ctx=ctx,
        queue=queue,
        next_card=spaced.catalogue(content()).get(queue.next_key or ""),
        reviewed_today=spaced.reviewed_today(db(), learner, utcnow()),
        history=history,
        activities=activities,
        chart=mastery_chart([(s.taken_at, s.mastery) for s in history], activities) if history else None,
        weakest=spaced.weakest_activity(mastery, content()),
        objectives={o.id: o for o in content().objectives},
        graded=spaced.is_graded(content(), ctx) and not ctx.is_staff,
        completion=spaced.completion_of(db(), ctx),
        sources=SOURCES,
    )


@bp.get("/next")
def next_card(launch_id: str):
    ctx = launch_context(launch_id)
    key = _queue(ctx).next_key
    if key is None:
        return redirect(url_for(".home", launch_id=launch_id, done=1))
    return redirect(url_for(".card", launch_id=launch_id, key=key))


@bp.get("/card/<key>")
def card(launch_id: str, key: str):
    ctx = launch_context(launch_id)
    learner = spaced.Learner.of(ctx)
    shown = spaced.card_of(db(), content(), learner, key)
    state = spaced.state_of(db(), learner, key)
    intervals = spaced.next_intervals(db(), learner, key, utcnow())
    return render_template(
        "tool/spaced_card.html",
        ctx=ctx,
        card=shown,
        state=state,
        queue=_queue(ctx),
        reviewed_today=spaced.reviewed_today(db(), learner, utcnow()),
        intervals={recall.name: interval_label(interval) for recall, interval in intervals.items()},
        objective=content().objective(shown.objective) if shown.objective else None,
        kinds=CardKind,
    )


@bp.post("/card/<key>/rate")
def rate(launch_id: str, key: str):
    ctx = launch_context(launch_id)
    try:
        recall = Recall[request.form.get("rating", "")]
    except KeyError:
        raise spaced.ReviewError("Rate your recall: Again, Hard, Good or Easy.") from None
    spaced.rate(db(), content(), ctx, key, recall, utcnow(), new_per_day=_new_per_day())
    return redirect(url_for(".next_card", launch_id=launch_id), code=303)


@bp.post("/card/<key>/answer")
def answer(launch_id: str, key: str):
    ctx = launch_context(launch_id)
    chosen = request.form.get("choice", "")
    if not chosen.isdigit():
        raise spaced.ReviewError("Choose one of the four options.")
    spaced.answer(db(), content(), ctx, key, int(chosen), utcnow(), new_per_day=_new_per_day())
    return redirect(url_for(".feedback", launch_id=launch_id, key=key, chose=chosen), code=303)


@bp.get("/card/<key>/feedback")
def feedback(launch_id: str, key: str):
    ctx = launch_context(launch_id)
    learner = spaced.Learner.of(ctx)
    shown = spaced.card_of(db(), content(), learner, key)
    chose = request.args.get("chose", type=int)
    answered = spaced.state_of(db(), learner, key) is not None  # no peeking before
    if shown.item is None or not answered or chose is None or not 0 <= chose < len(shown.item.options):
        return redirect(url_for(".card", launch_id=launch_id, key=key))
    return render_template(
        "tool/spaced_feedback.html",
        ctx=ctx,
        card=shown,
        item=shown.item,
        chose=chose,
        correct=chose == shown.item.answer_index,
        objective=content().objective(shown.item.objective),
    )
