"""The sandbox's own HTML pages (home, gradebook, adding a link by hand) and a JSON view of its state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import claims
from .db import db, state
from .launch import DEEP_LINK
from .models import Course, LineItem, Membership, Result, Score, ServiceRequest, Tool, isoformat
from .registration import is_http_url
from .store import add_line_item, add_resource_link, all_tools, course_path, get_course, lineitem_url
from .tokens import platform_jwks

bp = Blueprint("pages", __name__)


@bp.app_template_filter("utc_text")
def utc_text(value: datetime | None) -> str:
    """A stored UTC time as people read it ("15 Jan 2026, 10:00:00 UTC"): what a page shows inside its
    <time datetime="ISO"> before (or without) sandbox.js turning it into the viewer's local time."""
    if value is None:
        return ""
    moment = value.astimezone(UTC) if value.tzinfo else value
    return f"{moment.day} {moment:%b %Y, %H:%M:%S} UTC"


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on pages that name no icon (a JSON view, an error from elsewhere):
    the same SVG the pages link to, so no request for it ends in a 404."""
    response = current_app.send_static_file("favicon.svg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _course() -> Course:
    course = get_course(db())
    if course is None:
        raise LookupError("the sandbox course is missing: the seed did not run")
    return course


def _members(course: Course, role: str | None = None) -> list[Membership]:
    return [m for m in course.memberships if role is None or role in m.roles]


@bp.get("/")
def home() -> str:
    course = _course()
    return render_template(
        "home.html",
        title=f"Course: {course.title}",
        course=course,
        tools=all_tools(db()),
        members=_members(course),
        instructors=_members(course, "Instructor"),
        deep_link=DEEP_LINK,
        deep_linking_message=claims.MESSAGE_DEEP_LINKING,
        issuer=state().base_url,
        lineitem_url=lambda item: lineitem_url(state(), item),
    )


def _parse_custom(text: str) -> dict[str, str]:
    """``name=value`` lines, as Moodle's "Custom parameters" box takes them."""
    custom = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if line.strip() and (not sep or not name.strip()):
            raise ValueError(f"custom parameter line {line!r} is not name=value")
        if sep:
            custom[name.strip()] = value.strip()
    return custom


def _score_maximum(raw: str) -> float | None:
    if not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError as error:
        raise ValueError("maximum points must be a number") from error
    if value <= 0:
        raise ValueError("maximum points must be greater than 0")
    return value


@bp.post("/tools/<int:tool_id>/resource_links")
def add_link(tool_id: int) -> Response | tuple[str, int]:
    """Place a tool in the course without deep linking (for tools that do not support it)."""
    session = db()
    tool = session.get(Tool, tool_id)
    title = request.form.get("title", "").strip()
    url = request.form.get("url", "").strip() or None
    try:
        if tool is None:
            raise ValueError("unknown tool")
        if not title:
            raise ValueError("a title is required")
        if url is not None and not is_http_url(url):
            raise ValueError("the URL must be an absolute http(s) URL")
        custom = _parse_custom(request.form.get("custom", ""))
        maximum = _score_maximum(request.form.get("score_maximum", ""))
    except ValueError as error:
        return render_template("error.html", title="Cannot add the activity", message=str(error)), 400
    course = _course()
    link = add_resource_link(session, tool, course, title, url=url, custom=custom)
    if maximum is not None:
        add_line_item(session, tool, course, label=title, score_maximum=maximum, resource_link=link)
    session.commit()
    return redirect(url_for("pages.home") + f"#tool-{tool.id}", code=303)


def _score_counts(session: Session, course: Course) -> dict[tuple[int, int], int]:
    rows = session.execute(
        select(Score.line_item_id, Score.user_id, func.count())
        .join(LineItem, LineItem.id == Score.line_item_id)
        .where(LineItem.course_id == course.id)
        .group_by(Score.line_item_id, Score.user_id)
    )
    return {(item_id, user_id): count for item_id, user_id, count in rows}


def _posts_received(session: Session, course: Course, item: LineItem) -> int:
    """Score POSTs that reached the endpoint, accepted or not (the log keeps the refused ones too)."""
    prefix = f"{course_path(course)}/lineitems/{item.id}/scores"
    query = select(func.count()).where(
        ServiceRequest.method == "POST", ServiceRequest.path.startswith(prefix)
    )
    return session.scalar(query) or 0


@bp.get("/gradebook")
def gradebook() -> str:
    session = db()
    course = _course()
    items = list(
        session.scalars(select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.id))
    )
    results = {
        (r.line_item_id, r.user_id): r
        for r in session.scalars(select(Result).where(Result.line_item_id.in_([i.id for i in items])))
    }
    return render_template(
        "gradebook.html",
        title="Gradebook",
        course=course,
        learners=[m.user for m in _members(course, "Learner")],
        items=items,
        results=results,
        score_counts=_score_counts(session, course),
        posts={item.id: _posts_received(session, course, item) for item in items},
        isoformat=isoformat,
    )


def _tool_state(tool: Tool) -> dict[str, Any]:
    return {
        "id": tool.id,
        "client_id": tool.client_id,
        "deployment_id": tool.deployment_id,
        "name": tool.name,
        "scopes": tool.scopes,
        "resource_links": [
            {
                "id": link.link_id,
                "title": link.title,
                "url": link.url,
                "custom": link.custom,
                "line_items": [lineitem_url(state(), item) for item in link.line_items],
            }
            for link in tool.resource_links
        ],
    }


def _line_item_state(item: LineItem) -> dict[str, Any]:
    return {
        "id": lineitem_url(state(), item),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
        "tool": item.tool.client_id,
        "resourceLinkId": item.resource_link.link_id if item.resource_link else None,
        "results": {
            result.user.sub: {
                "resultScore": result.result_score,
                "resultMaximum": result.result_maximum,
                "gradingProgress": result.grading_progress,
                "activityProgress": result.activity_progress,
                "comment": result.comment,
                "timestamp": isoformat(result.timestamp),
            }
            for result in item.results
        },
        "scores": len(item.scores),
    }


@bp.get("/sandbox/state")
def sandbox_state() -> Response:
    """Everything a test wants to assert on after driving a tool: tools, links, line items, results."""
    items = db().scalars(select(LineItem).order_by(LineItem.id))
    return jsonify(
        {
            "issuer": state().base_url,
            "jwks": platform_jwks(current_app._get_current_object()),  # type: ignore[attr-defined]
            "tools": [_tool_state(tool) for tool in all_tools(db())],
            "line_items": [_line_item_state(item) for item in items],
        }
    )
