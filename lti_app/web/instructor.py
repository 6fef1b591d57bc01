"""The instructor's side: the instructor report (every learner's latest result and grade sync state,
sorted, filtered and paged; the class at a glance; item statistics), resync and the CSV export; and
a preview of the assessment (never graded).

"Report", not "review": the review is the learners' spaced review. The report's endpoint is
`instructor.report`; `instructor.home` stays as an alias of the same URL for links built elsewhere.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.exceptions import BadRequest

from lti_app.adapters.db import db
from lti_app.adapters.redis_store import store
from lti_app.errors import NotPermitted
from lti_app.extensions import content
from lti_app.services import report_export, report_summary, reports
from lti_app.web.assessments import launch_context
from lti_app.web.csrf import protect

bp = Blueprint("instructor", __name__, url_prefix="/i/<launch_id>")
bp.before_request(protect)


def staff_context(launch_id: str):
    ctx = launch_context(launch_id)
    if not ctx.is_staff:
        raise NotPermitted("Instructors only", "this page is for the course's instructors", status=403)
    return ctx


def _roster(ctx) -> tuple[list[reports.Member], str | None]:
    return reports.roster(db(), store(), ctx, current_app.config["LMS_TIMEOUT_SECONDS"])


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The page links to show: first, last and two either side of the current one (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


@bp.get("/", endpoint="report")
def report(launch_id: str):
    ctx = staff_context(launch_id)
    try:
        query = reports.ReportQuery.from_args(request.args)
    except reports.ReportQueryError as error:
        raise BadRequest(f"This report link asks for something the report does not have: {error}") from None
    members, note = _roster(ctx)
    report_summary.ensure_stored(db(), content(), ctx)  # once, for attempts submitted before results were
    learners = reports.learner_page(db(), ctx, members, query)
    summary = report_summary.class_summary(db(), content(), ctx, store(), query.all_attempts)
    return render_template(
        "tool/instructor_report.html",
        ctx=ctx,
        blueprint=content().blueprint(ctx.assessment_id),
        query=query,
        learners=learners,
        summary=summary,
        roster_note=note,
        page_size=reports.PAGE_SIZE,
        page_numbers=page_numbers(learners.page, learners.pages),
        sorts=reports.SORTS,
        results=reports.RESULTS,
        sync_states=reports.SYNC_STATES,
        items={item.id: item for item in content().all_items()},
        objectives={o.id: o for o in content().objectives},
        resynced=request.args.get("resynced", type=int),
    )


bp.add_url_rule("/", endpoint="home", view_func=report, methods=["GET"])  # the old endpoint name


@bp.post("/resync")
def resync_grades(launch_id: str):
    """Resync one grade, or every failed one, of this activity only."""
    ctx = staff_context(launch_id)
    wanted = None if request.form.get("all_failed") else [request.form.get("delivery_id", type=int)]
    count = reports.resync_scoped(db(), ctx, wanted)
    return redirect(url_for(".report", launch_id=launch_id, resynced=count), code=303)


@bp.get("/export.csv")
def export(launch_id: str):
    """Streamed: rows are written as the attempts are read, in batches, so memory stays flat."""
    ctx = staff_context(launch_id)
    members, _ = _roster(ctx)
    rows = report_export.export_rows(db(), content(), ctx, members)
    filename = f"skarp-{ctx.assessment_id}-{ctx.context_id or 'course'}.csv".replace('"', "")
    return Response(
        stream_with_context(report_export.csv_lines(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
