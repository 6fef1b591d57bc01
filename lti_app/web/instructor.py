"""The instructor's side: the attempts in this course's activity, and a preview of the assessment.

(The grade sync view, roster and statistics build on this page.)
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from lti_app.adapters.db import db
from lti_app.adapters.orm import Attempt
from lti_app.extensions import content
from lti_app.lti.launch import LaunchError
from lti_app.web.assessments import launch_context
from lti_app.web.csrf import protect

bp = Blueprint("instructor", __name__, url_prefix="/i/<launch_id>")
bp.before_request(protect)


def staff_context(launch_id: str):
    ctx = launch_context(launch_id)
    if not ctx.is_staff:
        raise LaunchError("Instructors only", "this page is for the course's instructors", status=403)
    return ctx


@bp.get("/")
def home(launch_id: str):
    ctx = staff_context(launch_id)
    query = (
        select(Attempt)
        .where(
            Attempt.platform_id == ctx.platform_id,
            Attempt.deployment_id == ctx.deployment_id,
            Attempt.context_id == ctx.context_id,
            Attempt.resource_link_id == ctx.resource_link_id,
            Attempt.preview.is_(False),
        )
        .order_by(Attempt.user_name, Attempt.started_at)
    )
    return render_template(
        "tool/instructor.html",
        ctx=ctx,
        blueprint=content().blueprint(ctx.assessment_id),
        attempts=list(db().scalars(query)),
    )
