"""AGS 2.0 (Assignment and Grade Services): line items, scores and results, validated strictly.

A score's timestamp must move forward at whole-second precision (as Moodle demands), media types are exact,
and a tool sees only its own line items: these endpoints exist to catch tool bugs early.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import func, select

from . import claims
from .api import (
    COURSE,
    ServiceError,
    bad_request,
    find_course,
    json_body,
    paginate,
    service_blueprint,
    service_json,
)
from .db import db, state
from .models import (
    Course,
    LineItem,
    Result,
    Score,
    Tool,
    User,
    isoformat,
)
from .oauth import authorize
from .store import (
    add_line_item,
    get_membership,
    get_resource_link,
    get_user,
    is_number,
    lineitem_url,
    lineitems_url,
)

bp = service_blueprint("ags", __name__)


def _line_item(course: Course, tool: Tool, item_id: int) -> LineItem:
    item = db().get(LineItem, item_id)
    if item is None or item.course_id != course.id or item.tool_id != tool.id:
        raise ServiceError(404, "not_found", "no such line item for this tool in this course")
    return item


# --- AGS line items ----------------------------------------------------------------------------------


def lineitem_json(item: LineItem) -> dict[str, Any]:
    payload = {
        "id": lineitem_url(state(), item),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": item.resource_link.link_id if item.resource_link else None,
        "startDateTime": item.start_date_time,
        "endDateTime": item.end_date_time,
    }
    return {key: value for key, value in payload.items() if value is not None}


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def _optional_datetime(body: dict[str, Any], name: str) -> str | None:
    value = _optional_str(body, name)
    if value is not None:
        _parse_timestamp(value, name)
    return value


def _line_item_fields(body: dict[str, Any], course: Course, tool: Tool) -> dict[str, Any]:
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise bad_request("label is required")
    maximum = body.get("scoreMaximum")
    if not is_number(maximum) or maximum <= 0:
        raise bad_request("scoreMaximum must be a number greater than 0")
    link = None
    link_id = _optional_str(body, "resourceLinkId")
    if link_id is not None:
        link = get_resource_link(db(), link_id)
        if link is None or link.course_id != course.id or link.tool_id != tool.id:
            raise bad_request("resourceLinkId is not a resource link of this tool in this course")
    return {
        "label": label,
        "score_maximum": float(maximum),
        "resource_link": link,
        "resource_id": _optional_str(body, "resourceId"),
        "tag": _optional_str(body, "tag"),
        "start_date_time": _optional_datetime(body, "startDateTime"),
        "end_date_time": _optional_datetime(body, "endDateTime"),
    }


def _filtered_line_items(course: Course, tool: Tool) -> list[LineItem]:
    query = select(LineItem).where(LineItem.course_id == course.id, LineItem.tool_id == tool.id)
    items = list(db().scalars(query.order_by(LineItem.id)))
    if not current_app.config.get("SANDBOX_LINEITEM_FILTERS", True):
        return items  # like an LMS that ignores the filters: the tool must check what it gets
    filters: dict[str, Callable[[LineItem], str | None]] = {
        "resource_link_id": lambda item: item.resource_link.link_id if item.resource_link else None,
        "tag": lambda item: item.tag,
        "resource_id": lambda item: item.resource_id,
    }
    for name, value_of in filters.items():
        wanted = request.args.get(name)
        if wanted is not None:
            items = [item for item in items if value_of(item) == wanted]
    return items


@bp.get(COURSE + "/lineitems")
def list_line_items(context_id: str) -> Response:
    tool = authorize(claims.SCOPE_LINEITEM, claims.SCOPE_LINEITEM_READONLY)
    course = find_course(context_id)
    page, headers = paginate(_filtered_line_items(course, tool), lineitems_url(state(), course))
    return service_json(
        [lineitem_json(item) for item in page], claims.MEDIA_LINEITEM_CONTAINER, headers=headers
    )


@bp.post(COURSE + "/lineitems")
def create_line_item(context_id: str) -> Response:
    tool = authorize(claims.SCOPE_LINEITEM)
    course = find_course(context_id)
    fields = _line_item_fields(json_body(claims.MEDIA_LINEITEM), course, tool)
    item = add_line_item(db(), tool, course, **fields)
    db().commit()
    payload = lineitem_json(item)
    return service_json(payload, claims.MEDIA_LINEITEM, 201, {"Location": payload["id"]})


@bp.get(COURSE + "/lineitems/<int:item_id>")
def get_line_item(context_id: str, item_id: int) -> Response:
    tool = authorize(claims.SCOPE_LINEITEM, claims.SCOPE_LINEITEM_READONLY)
    return service_json(
        lineitem_json(_line_item(find_course(context_id), tool, item_id)), claims.MEDIA_LINEITEM
    )


@bp.put(COURSE + "/lineitems/<int:item_id>")
def update_line_item(context_id: str, item_id: int) -> Response:
    tool = authorize(claims.SCOPE_LINEITEM)
    course = find_course(context_id)
    item = _line_item(course, tool, item_id)
    body = json_body(claims.MEDIA_LINEITEM)
    if "id" in body and body["id"] != lineitem_url(state(), item):
        raise bad_request("id does not match the line item URL")
    fields = _line_item_fields(body, course, tool)
    if fields["resource_link"] is not None and fields["resource_link"] is not item.resource_link:
        raise bad_request("resourceLinkId cannot be changed")
    fields.pop("resource_link")
    for name, value in fields.items():
        setattr(item, name, value)
    db().commit()
    return service_json(lineitem_json(item), claims.MEDIA_LINEITEM)


@bp.delete(COURSE + "/lineitems/<int:item_id>")
def delete_line_item(context_id: str, item_id: int) -> tuple[str, int]:
    tool = authorize(claims.SCOPE_LINEITEM)
    db().delete(_line_item(find_course(context_id), tool, item_id))
    db().commit()
    return "", 204


# --- AGS scores and results --------------------------------------------------------------------------


def _parse_timestamp(value: Any, name: str = "timestamp") -> datetime:
    """An ISO 8601 instant with a UTC offset, as naive UTC; a zone-less time is ambiguous, so refused."""
    if not isinstance(value, str):
        raise bad_request(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise bad_request(f"{name} is not ISO 8601: {value!r}") from error
    if parsed.tzinfo is None:
        raise bad_request(f"{name} must include a time zone offset (e.g. Z or +00:00)")
    return parsed.astimezone(UTC).replace(tzinfo=None)


@dataclass
class ScoreIn:
    user: User
    score_given: float | None
    score_maximum: float | None
    activity_progress: str
    grading_progress: str
    timestamp: datetime
    timestamp_text: str
    comment: str | None


def _score_numbers(body: dict[str, Any]) -> tuple[float | None, float | None]:
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if maximum is not None and (not is_number(maximum) or maximum <= 0):
        raise bad_request("scoreMaximum must be a number greater than 0")
    if given is None:
        return None, maximum
    if not is_number(given) or given < 0:
        raise bad_request("scoreGiven must be a number of at least 0")
    if maximum is None:
        raise bad_request("scoreMaximum is required with scoreGiven")
    if given > maximum and not current_app.config["SANDBOX_ALLOW_EXTRA_CREDIT"]:
        raise bad_request("scoreGiven is greater than scoreMaximum")
    return float(given), float(maximum)


def _score_in(course: Course, body: dict[str, Any]) -> ScoreIn:
    user = get_user(db(), str(body.get("userId", "")))
    if user is None or get_membership(db(), course, user) is None:
        raise bad_request("userId is not a member of this course")
    activity, grading = body.get("activityProgress"), body.get("gradingProgress")
    if activity not in claims.ACTIVITY_PROGRESS:
        raise bad_request("activityProgress must be one of " + ", ".join(claims.ACTIVITY_PROGRESS))
    if grading not in claims.GRADING_PROGRESS:
        raise bad_request("gradingProgress must be one of " + ", ".join(claims.GRADING_PROGRESS))
    given, maximum = _score_numbers(body)
    if "submission" in body and not isinstance(body["submission"], dict):
        raise bad_request("submission must be an object")
    return ScoreIn(
        user=user,
        score_given=given,
        score_maximum=maximum,
        activity_progress=activity,
        grading_progress=grading,
        timestamp=_parse_timestamp(body.get("timestamp")),
        timestamp_text=body["timestamp"],
        comment=_optional_str(body, "comment"),
    )


def _check_timestamp_moves_forward(item: LineItem, score: ScoreIn) -> None:
    """Like Moodle, compare at whole seconds: a score not strictly later than the last one is a conflict."""
    last = db().scalar(
        select(func.max(Score.timestamp)).where(Score.line_item_id == item.id, Score.user_id == score.user.id)
    )
    if last is not None and score.timestamp.replace(microsecond=0) <= last.replace(microsecond=0):
        raise ServiceError(
            409,
            "conflict",
            f"timestamp {score.timestamp_text} is not later than the last score's ({isoformat(last)})",
        )


def _update_result(item: LineItem, score: ScoreIn) -> None:
    """The result shows a grade only for FullyGraded scores, scaled to the line item's maximum."""
    session = db()
    result = session.scalar(
        select(Result).where(Result.line_item_id == item.id, Result.user_id == score.user.id)
    )
    if result is None:
        result = Result(line_item_id=item.id, user_id=score.user.id)
        session.add(result)
    graded = score.grading_progress == "FullyGraded" and score.score_given is not None
    if graded and score.score_maximum:
        result.result_score = round(score.score_given / score.score_maximum * item.score_maximum, 6)  # type: ignore[operator]
    else:
        result.result_score = None
    result.result_maximum = item.score_maximum
    result.comment = score.comment
    result.activity_progress = score.activity_progress
    result.grading_progress = score.grading_progress
    result.timestamp = score.timestamp


_SCORES_LOCK = threading.Lock()
"""The timestamp check and the insert are one step: two scores arriving together (a timed-out request
that lands while its retry does) must not both pass the check. The sandbox is one process."""


@bp.post(COURSE + "/lineitems/<int:item_id>/scores")
def post_score(context_id: str, item_id: int) -> tuple[str, int]:
    tool = authorize(claims.SCOPE_SCORE)
    course = find_course(context_id)
    item = _line_item(course, tool, item_id)
    body = json_body(claims.MEDIA_SCORE)
    score = _score_in(course, body)
    with _SCORES_LOCK:
        _store_score(item, score, body)
    return "", 204


def _store_score(item: LineItem, score: ScoreIn, body: dict[str, Any]) -> None:
    db().commit()  # end this request's read snapshot: see every score committed while it waited
    _check_timestamp_moves_forward(item, score)
    db().add(
        Score(
            line_item_id=item.id,
            user_id=score.user.id,
            score_given=score.score_given,
            score_maximum=score.score_maximum,
            activity_progress=score.activity_progress,
            grading_progress=score.grading_progress,
            timestamp=score.timestamp,
            timestamp_text=score.timestamp_text,
            comment=score.comment,
            payload=body,
        )
    )
    _update_result(item, score)
    db().commit()


def result_json(item: LineItem, result: Result) -> dict[str, Any]:
    item_url = lineitem_url(state(), item)
    payload = {
        "id": f"{item_url}/results/{result.user.sub}",
        "scoreOf": item_url,
        "userId": result.user.sub,
        "resultScore": result.result_score,
        "resultMaximum": result.result_maximum,
        "comment": result.comment,
        "timestamp": isoformat(result.timestamp),
    }
    return {key: value for key, value in payload.items() if value is not None}


@bp.get(COURSE + "/lineitems/<int:item_id>/results")
def list_results(context_id: str, item_id: int) -> Response:
    tool = authorize(claims.SCOPE_RESULT_READONLY)
    item = _line_item(find_course(context_id), tool, item_id)
    results = list(item.results)
    user_id = request.args.get("user_id")
    if user_id is not None:
        results = [result for result in results if result.user.sub == user_id]
    page, headers = paginate(results, lineitem_url(state(), item) + "/results")
    return service_json(
        [result_json(item, result) for result in page], claims.MEDIA_RESULT_CONTAINER, headers=headers
    )
