"""Deep Linking 2.0 return: the tool posts a signed LtiDeepLinkingResponse, the platform adds the links.

Every check a real platform makes is made here (signature with the tool's JWKS, RS256 only, iss, aud,
exp/iat, nonce, message type, version, deployment, the ``data`` echo, accept_types, accept_multiple), so a
tool that gets one wrong sees a 400 page naming the problem instead of a silently created activity.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import update
from sqlalchemy.orm import Session

from . import claims
from .db import db, state
from .models import Course, DeepLinkRequest, ResourceLink, Tool, utcnow
from .registration import is_http_url
from .store import add_line_item, add_resource_link, get_tool, is_number
from .toolauth import ToolJWTError, unverified_parts, verify_tool_jwt

bp = Blueprint("deeplink", __name__)


class DeepLinkError(ValueError):
    """A deep linking response the platform refuses."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise DeepLinkError(message)


def _verified_claims(session: Session, token: str) -> tuple[Tool, dict[str, Any]]:
    _, unverified = unverified_parts(token)
    tool = get_tool(session, str(unverified.get("iss", "")))
    if tool is None:
        raise DeepLinkError("iss is not the client_id of a registered tool.")
    payload = verify_tool_jwt(tool, token, audience=[state().base_url], require=("exp", "iat", "nonce"))
    _check(
        payload.get(claims.CLAIM_MESSAGE_TYPE) == claims.MESSAGE_DEEP_LINKING_RESPONSE,
        f"message_type must be {claims.MESSAGE_DEEP_LINKING_RESPONSE}.",
    )
    _check(payload.get(claims.CLAIM_VERSION) == claims.LTI_VERSION, f"version must be {claims.LTI_VERSION}.")
    _check(
        payload.get(claims.CLAIM_DEPLOYMENT_ID) == tool.deployment_id,
        "deployment_id does not match the tool's.",
    )
    return tool, payload


def _spend_data(session: Session, tool: Tool, payload: dict[str, Any]) -> DeepLinkRequest:
    """The ``data`` echo ties the response to one request this platform made to this tool, once."""
    data = payload.get(claims.CLAIM_DL_DATA)
    _check(isinstance(data, str) and bool(data), "the data claim from the deep linking request is missing.")
    row = session.get(DeepLinkRequest, data)
    _check(
        row is not None and row.tool_id == tool.id, "the data claim does not match a deep linking request."
    )
    assert row is not None
    _check(row.expires_at >= utcnow(), "the deep linking request has expired.")
    spent = session.execute(
        update(DeepLinkRequest)
        .where(DeepLinkRequest.data == row.data, DeepLinkRequest.used_at.is_(None))
        .values(used_at=utcnow())
    )
    _check(spent.rowcount == 1, "this deep linking request was already answered.")  # type: ignore[attr-defined]
    return row


def _content_items(payload: dict[str, Any]) -> list[dict[str, Any]]:
    items = payload.get(claims.CLAIM_DL_CONTENT_ITEMS, [])
    _check(isinstance(items, list), "content_items must be a list.")
    _check(len(items) <= 1, "accept_multiple is false: return at most one content item.")
    for item in items:
        _check(isinstance(item, dict), "each content item must be an object.")
        _check(
            item.get("type") in claims.DL_ACCEPT_TYPES,
            f"content item type {item.get('type')!r} is not accepted.",
        )
        _check_resource_link_item(item)
    return items


def _check_resource_link_item(item: dict[str, Any]) -> None:
    if "url" in item:
        _check(is_http_url(item["url"]), "a content item url must be an absolute URL.")
    for name in ("title", "text"):
        _check(isinstance(item.get(name, ""), str), f"a content item {name} must be a string.")
    custom = item.get("custom", {})
    _check(
        isinstance(custom, dict) and all(isinstance(v, str) for v in custom.values()),
        "custom must be an object of string values.",
    )
    if "lineItem" in item:
        line_item = item["lineItem"]
        _check(isinstance(line_item, dict), "lineItem must be an object.")
        maximum = line_item.get("scoreMaximum")
        _check(is_number(maximum) and maximum > 0, "lineItem.scoreMaximum must be a number greater than 0.")
        for name in ("label", "resourceId", "tag"):
            _check(isinstance(line_item.get(name, ""), str), f"lineItem.{name} must be a string.")


def _create(session: Session, tool: Tool, course: Course, item: dict[str, Any]) -> ResourceLink:
    title = item.get("title") or tool.name
    link = add_resource_link(
        session, tool, course, title, url=item.get("url"), text=item.get("text"), custom=item.get("custom")
    )
    if "lineItem" in item:
        spec = item["lineItem"]
        add_line_item(
            session,
            tool,
            course,
            label=spec.get("label") or title,
            score_maximum=float(spec["scoreMaximum"]),
            resource_link=link,
            resource_id=spec.get("resourceId"),
            tag=spec.get("tag"),
        )
    return link


@bp.post("/deep_link_return")
def deep_link_return() -> tuple[str, int]:
    """The deep_link_return_url: form field ``JWT``."""
    session = db()
    token = request.form.get("JWT", "")
    try:
        _check(bool(token), "The form field JWT is missing.")
        tool, payload = _verified_claims(session, token)
        request_row = _spend_data(session, tool, payload)
        course = session.get(Course, request_row.course_id)
        if course is None:
            raise DeepLinkError("the course of the deep linking request no longer exists.")
        links = [_create(session, tool, course, item) for item in _content_items(payload)]
    except (DeepLinkError, ToolJWTError) as error:
        session.rollback()
        return render_template("error.html", title="Deep linking response refused", message=str(error)), 400
    session.commit()
    messages = {name: payload.get(claims._DL + name) for name in ("msg", "errormsg", "log", "errorlog")}
    return render_template(
        "deep_link_done.html", title="Activity added", tool=tool, links=links, **messages
    ), 200
