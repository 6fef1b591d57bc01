"""The instructor's settings for one resource link: extra time per learner and when learners see the
rationales. Instructors of the link only; every form carries the launch's CSRF token."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from lti_app.adapters.db import db
from lti_app.extensions import content
from lti_app.services import policies
from lti_app.web.csrf import protect
from lti_app.web.instructor import staff_context

bp = Blueprint("link_settings", __name__, url_prefix="/i/<launch_id>/settings")
bp.before_request(protect)


def _page(ctx, *, error: str | None = None, saved: str | None = None, status: int = 200):
    policy = policies.policy_of(db(), ctx)
    return render_template(
        "tool/link_settings.html",
        ctx=ctx,
        blueprint=content().blueprint(ctx.assessment_id),
        policy=policy,
        choices=policies.RATIONALE_POLICIES,
        learners=policies.learners_of_link(db(), ctx),
        error=error,
        saved=saved,
        form=request.form if error else {},
    ), status


@bp.get("/")
def home(launch_id: str):
    return _page(staff_context(launch_id), saved=request.args.get("saved"))


@bp.post("/rationales")
def rationales(launch_id: str):
    ctx = staff_context(launch_id)
    try:
        policies.save_rationale_policy(
            db(), ctx, request.form.get("rationales", ""), request.form.get("rationales_from", "")
        )
    except policies.PolicyError as error:
        return _page(ctx, error=str(error), status=error.status)
    return redirect(url_for(".home", launch_id=launch_id, saved="rationales"), code=303)


@bp.post("/time")
def extra_time(launch_id: str):
    ctx = staff_context(launch_id)
    try:
        policies.save_extra_time(
            db(),
            ctx,
            request.form.get("user_sub", ""),
            request.form.get("extra_minutes", ""),
            request.form.get("time_factor", ""),
            content().blueprint(ctx.assessment_id).time_limit_minutes,
        )
    except policies.PolicyError as error:
        return _page(ctx, error=str(error), status=error.status)
    return redirect(url_for(".home", launch_id=launch_id, saved="time"), code=303)
