"""LTI Advantage services: the OAuth2 token endpoint, AGS 2.0 (line items, scores, results) and NRPS 2.0.

Validation follows what Moodle does where the spec leaves room (strict media types, a score timestamp that
must move forward at whole-second precision), because these endpoints exist to catch tool bugs early.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from . import claims
from .db import db, state
from .models import (
    AccessToken,
    AssertionJti,
    Course,
    LineItem,
    Membership,
    Result,
    Score,
    Tool,
    User,
    isoformat,
    utcnow,
)
from .store import (
    add_line_item,
    get_course,
    get_membership,
    get_resource_link,
    get_tool,
    get_user,
    is_number,
    lineitem_url,
    lineitems_url,
    memberships_url,
)
from .toolauth import ToolJWTError, unverified_parts, verify_tool_jwt

bp = Blueprint("services", __name__)

TOKEN_LIFETIME = 3600
COURSE = "/api/courses/<context_id>"


@dataclass(eq=False)
class ServiceError(Exception):
    """An error answered as JSON ``{"error", "error_description"}`` with the given status."""

    status: int
    error: str
    description: str
    headers: dict[str, str] = field(default_factory=dict)


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError) -> tuple[Response, int, dict[str, str]]:
    db().rollback()
    return (
        jsonify({"error": error.error, "error_description": error.description}),
        error.status,
        error.headers,
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- OAuth2 client credentials -----------------------------------------------------------------------


def _invalid_client(description: str) -> ServiceError:
    return ServiceError(401, "invalid_client", description)


def _assertion_tool(session: Session, assertion: str) -> Tool:
    try:
        _, unverified = unverified_parts(assertion)
    except ToolJWTError as error:
        raise _invalid_client(str(error)) from error
    tool = get_tool(session, str(unverified.get("iss", "")))
    if tool is None:
        raise _invalid_client("the client assertion's iss is not a registered client_id")
    g.sandbox_client_id = tool.client_id
    return tool


def _verify_assertion(tool: Tool, assertion: str) -> dict[str, Any]:
    st = state()
    try:
        claims = verify_tool_jwt(
            tool, assertion, audience=[st.url("/token"), st.base_url], require=("exp", "iat", "jti", "sub")
        )
    except ToolJWTError as error:
        raise _invalid_client(str(error)) from error
    if claims["sub"] != tool.client_id:
        raise _invalid_client("the client assertion's sub must be the client_id")
    return claims


def _requested_scopes(tool: Tool) -> list[str]:
    requested = list(dict.fromkeys(request.form.get("scope", "").split()))
    if not requested:
        raise ServiceError(400, "invalid_scope", "scope is required")
    unknown = [scope for scope in requested if scope not in tool.scopes]
    if unknown:
        raise ServiceError(400, "invalid_scope", "not registered for this tool: " + " ".join(unknown))
    return requested


def _spend_jti(session: Session, tool: Tool, claims: dict[str, Any]) -> None:
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC).replace(tzinfo=None)
    session.add(AssertionJti(client_id=tool.client_id, jti=str(claims["jti"]), expires_at=expires))
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise _invalid_client("the client assertion's jti was already used") from error


def issue_access_token(session: Session, tool: Tool, scopes: list[str]) -> str:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=TOKEN_LIFETIME)
    session.add(AccessToken(token_hash=_hash(token), tool_id=tool.id, scopes=scopes, expires_at=expires_at))
    session.flush()
    return token


@bp.post("/token")
def token() -> tuple[Response, int, dict[str, str]]:
    """client_credentials with a private_key_jwt client assertion (form-encoded, per RFC 7523)."""
    session = db()
    if request.form.get("grant_type") != "client_credentials":
        raise ServiceError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    if request.form.get("client_assertion_type") != claims.CLIENT_ASSERTION_TYPE:
        raise ServiceError(
            400, "invalid_request", f"client_assertion_type must be {claims.CLIENT_ASSERTION_TYPE}"
        )
    assertion = request.form.get("client_assertion", "")
    if not assertion:
        raise ServiceError(400, "invalid_request", "client_assertion is required")
    tool = _assertion_tool(session, assertion)
    payload = _verify_assertion(tool, assertion)
    scopes = _requested_scopes(tool)
    _spend_jti(session, tool, payload)
    access_token = issue_access_token(session, tool, scopes)
    session.commit()
    body = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
        "scope": " ".join(scopes),
    }
    return jsonify(body), 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


# --- bearer authorization ----------------------------------------------------------------------------


def _unauthorized(description: str) -> ServiceError:
    return ServiceError(
        401, "invalid_token", description, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def authorize(*accepted: str) -> Tool:
    """The calling tool, if its bearer token is valid (401) and carries one of ``accepted`` scopes (403)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _unauthorized("a bearer access token from /token is required")
    row = db().get(AccessToken, _hash(value.strip()))
    if row is None or row.expires_at < utcnow():
        raise _unauthorized("the access token is unknown or expired")
    g.sandbox_client_id = row.tool.client_id
    if not set(row.scopes) & set(accepted):
        raise ServiceError(
            403,
            "insufficient_scope",
            "this request needs one of the scopes: " + " ".join(accepted),
            {"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
        )
    return row.tool


def _course(context_id: str) -> Course:
    course = get_course(db(), context_id)
    if course is None:
        raise ServiceError(404, "not_found", f"no course with context id {context_id!r}")
    return course


def _line_item(course: Course, tool: Tool, item_id: int) -> LineItem:
    item = db().get(LineItem, item_id)
    if item is None or item.course_id != course.id or item.tool_id != tool.id:
        raise ServiceError(404, "not_found", "no such line item for this tool in this course")
    return item


def _json_body(media_type: str) -> dict[str, Any]:
    if request.mimetype != media_type:
        raise ServiceError(415, "unsupported_media_type", f"Content-Type must be {media_type}")
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise ServiceError(400, "invalid_request", "the body must be a JSON object")
    return body


def _bad(description: str) -> ServiceError:
    return ServiceError(400, "invalid_request", description)


def _json(
    payload: Any, media_type: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = current_app.json.response(payload)
    response.status_code = status
    response.mimetype = media_type
    response.headers.update(headers or {})
    return response


# --- paging ------------------------------------------------------------------------------------------


def _positive_int(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _bad(f"{name} must be a positive integer")
    return int(raw)


def page_window(total: int, base_url: str) -> tuple[slice, dict[str, str]]:
    """Which of ``total`` rows this request's page holds, and the RFC 8288 Link header tools must
    follow for the rest, like Canvas: ``limit`` (default SANDBOX_PAGE_SIZE, 10) is honoured up to
    SANDBOX_MAX_PAGE_SIZE (100), so a tool that reads only the first page visibly loses rows."""
    default = int(current_app.config.get("SANDBOX_PAGE_SIZE", 10))
    maximum = int(current_app.config.get("SANDBOX_MAX_PAGE_SIZE", 100))
    limit = min(_positive_int("limit", default) or default, maximum)
    page = _positive_int("page", 1) or 1
    others = [(k, v) for k, v in request.args.items(multi=True) if k not in ("limit", "page")]

    def link(number: int, rel: str) -> str:
        return f'<{base_url}?{urlencode([*others, ("limit", limit), ("page", number)])}>; rel="{rel}"'

    last = max(1, -(-total // limit))
    links = [link(1, "first"), link(last, "last")]
    if page < last:
        links.append(link(page + 1, "next"))
    if 1 < page <= last:
        links.append(link(page - 1, "prev"))
    return slice((page - 1) * limit, page * limit), {"Link": ", ".join(links)}


def paginate(rows: Sequence[Any], base_url: str) -> tuple[Sequence[Any], dict[str, str]]:
    """One page of ``rows`` (see page_window) and its Link header."""
    window, headers = page_window(len(rows), base_url)
    return rows[window], headers


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
        raise _bad(f"{name} must be a string")
    return value


def _optional_datetime(body: dict[str, Any], name: str) -> str | None:
    value = _optional_str(body, name)
    if value is not None:
        _parse_timestamp(value, name)
    return value


def _line_item_fields(body: dict[str, Any], course: Course, tool: Tool) -> dict[str, Any]:
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _bad("label is required")
    maximum = body.get("scoreMaximum")
    if not is_number(maximum) or maximum <= 0:
        raise _bad("scoreMaximum must be a number greater than 0")
    link = None
    link_id = _optional_str(body, "resourceLinkId")
    if link_id is not None:
        link = get_resource_link(db(), link_id)
        if link is None or link.course_id != course.id or link.tool_id != tool.id:
            raise _bad("resourceLinkId is not a resource link of this tool in this course")
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
    course = _course(context_id)
    page, headers = paginate(_filtered_line_items(course, tool), lineitems_url(state(), course))
    return _json([lineitem_json(item) for item in page], claims.MEDIA_LINEITEM_CONTAINER, headers=headers)


@bp.post(COURSE + "/lineitems")
def create_line_item(context_id: str) -> Response:
    tool = authorize(claims.SCOPE_LINEITEM)
    course = _course(context_id)
    fields = _line_item_fields(_json_body(claims.MEDIA_LINEITEM), course, tool)
    item = add_line_item(db(), tool, course, **fields)
    db().commit()
    payload = lineitem_json(item)
    return _json(payload, claims.MEDIA_LINEITEM, 201, {"Location": payload["id"]})


@bp.get(COURSE + "/lineitems/<int:item_id>")
def get_line_item(context_id: str, item_id: int) -> Response:
    tool = authorize(claims.SCOPE_LINEITEM, claims.SCOPE_LINEITEM_READONLY)
    return _json(lineitem_json(_line_item(_course(context_id), tool, item_id)), claims.MEDIA_LINEITEM)


@bp.put(COURSE + "/lineitems/<int:item_id>")
def update_line_item(context_id: str, item_id: int) -> Response:
    tool = authorize(claims.SCOPE_LINEITEM)
    course = _course(context_id)
    item = _line_item(course, tool, item_id)
    body = _json_body(claims.MEDIA_LINEITEM)
    if "id" in body and body["id"] != lineitem_url(state(), item):
        raise _bad("id does not match the line item URL")
    fields = _line_item_fields(body, course, tool)
    if fields["resource_link"] is not None and fields["resource_link"] is not item.resource_link:
        raise _bad("resourceLinkId cannot be changed")
    fields.pop("resource_link")
    for name, value in fields.items():
        setattr(item, name, value)
    db().commit()
    return _json(lineitem_json(item), claims.MEDIA_LINEITEM)


@bp.delete(COURSE + "/lineitems/<int:item_id>")
def delete_line_item(context_id: str, item_id: int) -> tuple[str, int]:
    tool = authorize(claims.SCOPE_LINEITEM)
    db().delete(_line_item(_course(context_id), tool, item_id))
    db().commit()
    return "", 204


# --- AGS scores and results --------------------------------------------------------------------------


def _parse_timestamp(value: Any, name: str = "timestamp") -> datetime:
    """An ISO 8601 instant with a UTC offset, as naive UTC; a zone-less time is ambiguous, so refused."""
    if not isinstance(value, str):
        raise _bad(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise _bad(f"{name} is not ISO 8601: {value!r}") from error
    if parsed.tzinfo is None:
        raise _bad(f"{name} must include a time zone offset (e.g. Z or +00:00)")
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
        raise _bad("scoreMaximum must be a number greater than 0")
    if given is None:
        return None, maximum
    if not is_number(given) or given < 0:
        raise _bad("scoreGiven must be a number of at least 0")
    if maximum is None:
        raise _bad("scoreMaximum is required with scoreGiven")
    if given > maximum and not current_app.config["SANDBOX_ALLOW_EXTRA_CREDIT"]:
        raise _bad("scoreGiven is greater than scoreMaximum")
    return float(given), float(maximum)


def _score_in(course: Course, body: dict[str, Any]) -> ScoreIn:
    user = get_user(db(), str(body.get("userId", "")))
    if user is None or get_membership(db(), course, user) is None:
        raise _bad("userId is not a member of this course")
    activity, grading = body.get("activityProgress"), body.get("gradingProgress")
    if activity not in claims.ACTIVITY_PROGRESS:
        raise _bad("activityProgress must be one of " + ", ".join(claims.ACTIVITY_PROGRESS))
    if grading not in claims.GRADING_PROGRESS:
        raise _bad("gradingProgress must be one of " + ", ".join(claims.GRADING_PROGRESS))
    given, maximum = _score_numbers(body)
    if "submission" in body and not isinstance(body["submission"], dict):
        raise _bad("submission must be an object")
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
    course = _course(context_id)
    item = _line_item(course, tool, item_id)
    body = _json_body(claims.MEDIA_SCORE)
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
    item = _line_item(_course(context_id), tool, item_id)
    results = list(item.results)
    user_id = request.args.get("user_id")
    if user_id is not None:
        results = [result for result in results if result.user.sub == user_id]
    page, headers = paginate(results, lineitem_url(state(), item) + "/results")
    return _json(
        [result_json(item, result) for result in page], claims.MEDIA_RESULT_CONTAINER, headers=headers
    )


# --- NRPS --------------------------------------------------------------------------------------------


def member_json(membership: Membership) -> dict[str, Any]:
    user = membership.user
    return {
        "status": "Active",
        "user_id": user.sub,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "roles": claims.membership_role_uris(membership.roles),
    }


@bp.get(COURSE + "/memberships")
def memberships(context_id: str) -> Response:
    tool = authorize(claims.SCOPE_NRPS)
    course = _course(context_id)
    rlid = request.args.get("rlid")
    if rlid is not None:
        link = get_resource_link(db(), rlid)
        if link is None or link.course_id != course.id or link.tool_id != tool.id:
            raise _bad("rlid is not a resource link of this tool in this course")
    # Roles only for the whole course, the people only for the page: a big course stays cheap to page.
    everyone = select(Membership.id, Membership.roles).where(Membership.course_id == course.id)
    enrolled = list(db().execute(everyone.order_by(Membership.id)))
    role = request.args.get("role")
    if role is not None:
        wanted = claims.membership_role_uris([role])[0]
        enrolled = [row for row in enrolled if wanted in claims.membership_role_uris(row.roles)]
    window, headers = page_window(len(enrolled), memberships_url(state(), course))
    ids = [row.id for row in enrolled[window]]
    on_page = select(Membership).where(Membership.id.in_(ids)).options(joinedload(Membership.user))
    members = [member_json(membership) for membership in db().scalars(on_page.order_by(Membership.id))]
    context = {"id": course.context_id, "label": course.label, "title": course.title}
    query = request.query_string.decode("ascii")
    container_id = memberships_url(state(), course) + (f"?{query}" if query else "")
    payload = {"id": container_id, "context": context, "members": members}
    return _json(payload, claims.MEDIA_MEMBERSHIP_CONTAINER, headers=headers)
