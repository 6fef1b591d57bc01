"""LTI 1.3 launches, platform side: third-party initiated login, then the OIDC authorization endpoint.

1. ``POST /launch/start`` (a home page button) stores an opaque ``lti_message_hint`` and posts the login
   initiation parameters to the tool's ``initiate_login_uri``.
2. The tool redirects the browser to ``/auth`` with its authentication request.
3. ``/auth`` validates it and form-posts a signed ``id_token`` (and the tool's ``state``) to ``redirect_uri``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import claims
from .db import db, state
from .models import LaunchHint, ResourceLink, Tool, User, utcnow
from .store import get_course, get_membership, get_resource_link, get_tool, get_user
from .tokens import build_launch_claims, sign_id_token

bp = Blueprint("launch", __name__)

HINT_LIFETIME = timedelta(minutes=10)
DEEP_LINK = "deep-link"

Page = tuple[str, int]


class LaunchError(ValueError):
    """A launch request the platform refuses; shown as a 400 page naming the problem."""


def error_page(message: str, title: str = "Launch refused") -> Page:
    return render_template("error.html", title=title, message=message), 400


def find_tool(session: Session, tool_id: str) -> Tool | None:
    """A tool by client_id, or by its row id as the home page buttons send it."""
    tool = get_tool(session, tool_id)
    if tool is None and tool_id.isdigit():
        tool = session.get(Tool, int(tool_id))
    return tool


def _launch_subjects(session: Session, form: dict[str, str]) -> tuple[Tool, User, ResourceLink | None]:
    tool = find_tool(session, form.get("tool_id", ""))
    if tool is None:
        raise LaunchError("Unknown tool.")
    user = get_user(session, form.get("user_id", ""))
    course = get_course(session)
    if user is None or course is None or get_membership(session, course, user) is None:
        raise LaunchError("Unknown user, or not enrolled in the course.")
    target = form.get("resource_link_id", "")
    if target == DEEP_LINK:
        if not tool.supports(claims.MESSAGE_DEEP_LINKING):
            raise LaunchError(f"{tool.name} did not register the {claims.MESSAGE_DEEP_LINKING} message.")
        return tool, user, None
    link = get_resource_link(session, target)
    if link is None or link.tool_id != tool.id:
        raise LaunchError("Unknown resource link for this tool.")
    return tool, user, link


def create_hint(session: Session, tool: Tool, user: User, link: ResourceLink | None, target: str) -> str:
    hint = secrets.token_urlsafe(32)
    session.add(
        LaunchHint(
            hint=hint,
            tool_id=tool.id,
            user_id=user.id,
            resource_link_pk=link.id if link else None,
            message_type=claims.MESSAGE_RESOURCE_LINK if link else claims.MESSAGE_DEEP_LINKING,
            document_target=target,
            expires_at=utcnow() + HINT_LIFETIME,
        )
    )
    session.commit()
    return hint


def login_initiation_params(tool: Tool, user: User, link: ResourceLink | None, hint: str) -> dict[str, str]:
    message_type = claims.MESSAGE_RESOURCE_LINK if link else claims.MESSAGE_DEEP_LINKING
    target_link_uri = (link.url if link else None) or tool.message(message_type).get("target_link_uri")
    return {
        "iss": state().base_url,
        "login_hint": user.sub,
        "target_link_uri": target_link_uri or tool.target_link_uri,
        "lti_message_hint": hint,
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
    }


@bp.post("/launch/start")
def start() -> Page:
    """Form: tool_id (client_id or row id), user_id (sub), resource_link_id or "deep-link", presentation."""
    session = db()
    target = request.form.get("presentation", "iframe")
    if target not in claims.DOCUMENT_TARGETS:
        return error_page("presentation must be iframe or window.")
    try:
        tool, user, link = _launch_subjects(session, request.form.to_dict())
    except LaunchError as error:
        return error_page(str(error))
    hint = create_hint(session, tool, user, link, target)
    fields = login_initiation_params(tool, user, link, hint)
    if target == "iframe":  # the frame's parent page answers LTI Platform Storage messages
        fields["lti_storage_target"] = "_parent"
    context = {
        "action": tool.initiate_login_uri,
        "fields": fields,
        "tool": tool,
        "user": user,
        "link": link,
        "heading": link.title if link else "Add an activity",
    }
    template = "launch_frame.html" if target == "iframe" else "autopost.html"
    return render_template(template, title=f"Launching {tool.name}", **context), 200


def _auth_param(params: dict[str, str], name: str, expected: str | None = None) -> str:
    value = params.get(name, "")
    if not value:
        raise LaunchError(f"The authentication request has no {name}.")
    if expected is not None and value != expected:
        raise LaunchError(f"{name} must be {expected!r}, not {value!r}.")
    return value


def _check_auth_request(params: dict[str, str]) -> None:
    if "openid" not in params.get("scope", "").split():
        raise LaunchError("scope must include openid.")
    _auth_param(params, "response_type", "id_token")
    _auth_param(params, "response_mode", "form_post")
    _auth_param(params, "prompt", "none")
    _auth_param(params, "nonce")
    _auth_param(params, "login_hint")


def _hint_for(session: Session, tool: Tool, params: dict[str, str]) -> LaunchHint:
    row = session.scalar(select(LaunchHint).where(LaunchHint.hint == _auth_param(params, "lti_message_hint")))
    if row is None or row.tool_id != tool.id:
        raise LaunchError("lti_message_hint is not one this platform issued to this client_id.")
    if row.used_at is not None or row.expires_at < utcnow():
        raise LaunchError("lti_message_hint was already used or has expired: start the launch again.")
    user = session.get(User, row.user_id)
    if user is None or user.sub != params["login_hint"]:
        raise LaunchError("login_hint does not match the user the launch was started for.")
    return row


def _spend_hint(session: Session, hint: str) -> bool:
    spent = session.execute(
        update(LaunchHint)
        .where(LaunchHint.hint == hint, LaunchHint.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return spent.rowcount == 1  # type: ignore[attr-defined]


def _id_token(session: Session, tool: Tool, row: LaunchHint, nonce: str) -> str:
    user = session.get(User, row.user_id)
    link = session.get(ResourceLink, row.resource_link_pk) if row.resource_link_pk else None
    if user is None:
        raise LaunchError("The user of this launch no longer exists.")
    claims = build_launch_claims(
        state(), session, tool, user, link, nonce, document_target=row.document_target
    )
    return sign_id_token(current_app._get_current_object(), claims)  # type: ignore[attr-defined]


@bp.route("/auth", methods=["GET", "POST"])
def authorize() -> Page:
    """The OIDC authorization endpoint (response_mode=form_post, prompt=none, no user interaction)."""
    session = db()
    params: dict[str, Any] = request.values.to_dict()
    tool = get_tool(session, params.get("client_id", ""))
    if tool is None:
        return error_page("Unknown client_id.", "Authentication refused")
    if params.get("redirect_uri") not in tool.redirect_uris:
        return error_page(
            "redirect_uri is not one of the tool's registered redirect_uris.", "Authentication refused"
        )
    try:
        _check_auth_request(params)
        row = _hint_for(session, tool, params)
        id_token = _id_token(session, tool, row, params["nonce"])
        if not _spend_hint(session, row.hint):
            raise LaunchError("lti_message_hint was already used: start the launch again.")
    except LaunchError as error:
        session.rollback()
        return error_page(str(error), "Authentication refused")
    session.commit()
    fields = {"id_token": id_token, **({"state": params["state"]} if params.get("state") else {})}
    return render_template(
        "autopost.html", title="Signing you in", action=params["redirect_uri"], fields=fields
    ), 200


@bp.get("/launch/return")
def launch_return() -> str:
    """launch_presentation.return_url: shows the tool's lti_msg / lti_errormsg like an LMS would."""
    keys = ("lti_msg", "lti_errormsg", "lti_log", "lti_errorlog")
    return render_template(
        "launch_return.html", title="Back from the tool", **{k: request.args.get(k) for k in keys}
    )
