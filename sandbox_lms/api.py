"""What every LTI Advantage service endpoint of the sandbox shares (the token endpoint, AGS, NRPS): JSON
errors, the course in the URL, strict media types, and Canvas-style paging with RFC 8288 Link headers.

Validation follows what Moodle does where the spec leaves room (strict media types, a score timestamp that
must move forward at whole-second precision), because these endpoints exist to catch tool bugs early.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request

from .db import db
from .models import Course
from .store import get_course

COURSE = "/api/courses/<context_id>"


@dataclass(eq=False)
class ServiceError(Exception):
    """An error answered as JSON ``{"error", "error_description"}`` with the given status."""

    status: int
    error: str
    description: str
    headers: dict[str, str] = field(default_factory=dict)


def _service_error(error: ServiceError) -> tuple[Response, int, dict[str, str]]:
    db().rollback()
    return (
        jsonify({"error": error.error, "error_description": error.description}),
        error.status,
        error.headers,
    )


def service_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint whose ServiceErrors are answered as JSON (and roll the request's session back)."""
    bp = Blueprint(name, import_name)
    bp.register_error_handler(ServiceError, _service_error)
    return bp


def find_course(context_id: str) -> Course:
    course = get_course(db(), context_id)
    if course is None:
        raise ServiceError(404, "not_found", f"no course with context id {context_id!r}")
    return course


def json_body(media_type: str) -> dict[str, Any]:
    if request.mimetype != media_type:
        raise ServiceError(415, "unsupported_media_type", f"Content-Type must be {media_type}")
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise ServiceError(400, "invalid_request", "the body must be a JSON object")
    return body


def bad_request(description: str) -> ServiceError:
    return ServiceError(400, "invalid_request", description)


def service_json(
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
        raise bad_request(f"{name} must be a positive integer")
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
