"""The instructor's side: every learner's attempts and grade sync state, the class at a glance,
item statistics, resync and CSV export; and a preview of the assessment (never graded)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from lti_app.adapters.db import db
from lti_app.adapters.redis_store import store
from lti_app.errors import NotPermitted
from lti_app.extensions import content
from lti_app.services import reports
from lti_app.web.assessments import launch_context
from lti_app.web.csrf import protect

bp = Blueprint("instructor", __name__, url_prefix="/i/<launch_id>")
bp.before_request(protect)


def staff_context(launch_id: str):
    ctx = launch_context(launch_id)
    if not ctx.is_staff:
        raise NotPermitted("Instructors only", "this page is for the course's instructors", status=403)
    return ctx


def _report(ctx, all_attempts: bool = False):
    members, note = reports.roster(db(), store(), ctx, current_app.config["LMS_TIMEOUT_SECONDS"])
    return reports.class_report(db(), content(), ctx, members, note, all_attempts)


@bp.get("/")
def home(launch_id: str):
    ctx = staff_context(launch_id)
    report = _report(ctx, all_attempts=request.args.get("attempts") == "all")
    items = {item.id: item for item in content().all_items()}
    return render_template(
        "tool/instructor_review.html",
        ctx=ctx,
        blueprint=content().blueprint(ctx.assessment_id),
        report=report,
        items=items,
        objectives={o.id: o for o in content().objectives},
        resynced=request.args.get("resynced", type=int),
    )


@bp.post("/resync")
def resync_grades(launch_id: str):
    """Resync one grade, or every failed one, of this activity only."""
    ctx = staff_context(launch_id)
    wanted = None if request.form.get("all_failed") else [request.form.get("delivery_id", type=int)]
    count = reports.resync_scoped(db(), ctx, wanted)
    return redirect(url_for(".home", launch_id=launch_id, resynced=count), code=303)


@bp.get("/export.csv")
def export(launch_id: str):
    ctx = staff_context(launch_id)
    body = reports.export_csv(content(), _report(ctx))
    filename = f"skarp-{ctx.assessment_id}-{ctx.context_id or 'course'}.csv".replace('"', "")
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
