"""The fixed, documented LTI URLs that LMS admins and docs rely on.

/lti/login        OIDC third-party initiated login (GET and POST)
/lti/launch       the launch (redirect URI): resource links and deep linking
/lti/jwks.json    the tool's public keys
/lti/register/<invite>  LTI Dynamic Registration (Moodle 4.x "Add LTI Advantage", Canvas), with
                  the one-time URL the operator creates (`flask --app lti_app platforms invite`)
/lti/canvas.json  Canvas developer key JSON configuration
/lti/config       every URL Moodle's manual registration form asks for

Each view parses its request, calls one use case of lti_app/services (lti_launch, deep_linking,
registration) with a unit of work, and renders; refusals are UserErrors, rendered by web/errors.py.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from lti_app.errors import LaunchError
from lti_app.extensions import content, unit_of_work
from lti_app.lti.launch import DEEP_LINKING_REQUEST
from lti_app.lti.storage import SecureFlaskRequest
from lti_app.observability import logs
from lti_app.services import deep_linking, lti_launch
from lti_app.services.deep_linking import NoActivityChosen
from lti_app.services.launches import LaunchContext
from lti_app.services.registration import (
    SCOPES,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    check_request,
    published_keys,
    register_from_lms,
)
from lti_app.web.csrf import protect
from lti_app.web.security import allow_inline_scripts_of

bp = Blueprint("lti", __name__, url_prefix="/lti")


def _base_url() -> str:
    return current_app.config["TOOL_BASE_URL"]


def _settings() -> lti_launch.LaunchSettings:
    config = current_app.config
    return lti_launch.LaunchSettings(
        tool_base_url=_base_url(),
        clock_leeway_seconds=config["LTI_CLOCK_LEEWAY_SECONDS"],
        platform_keys_ttl_seconds=config["LTI_PLATFORM_KEYS_TTL_SECONDS"],
        launch_ttl_seconds=config["LAUNCH_TTL_SECONDS"],
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """OIDC third-party initiated login (lti_app.services.lti_launch.begin_login)."""
    step = lti_launch.begin_login(unit_of_work(), SecureFlaskRequest(), request.values, _settings())
    if step.storage_login is not None:
        return render_template(
            "tool/platform_storage_login.html", login=step.storage_login, fallback_url=step.fallback_url
        )
    return allow_inline_scripts_of(step.response)


@bp.post("/launch")
def launch():
    known = {plan.id for plan in content().blueprints}
    outcome = lti_launch.launch(unit_of_work(), SecureFlaskRequest(), request.form, known, _settings())
    if isinstance(outcome, lti_launch.StorageReadBack):  # read state and nonce back from the platform
        return render_template(
            "tool/platform_storage_launch.html",
            target=outcome.target,
            state=outcome.state,
            id_token=outcome.id_token,
            nonce=outcome.nonce,
            platform_origin=outcome.platform_origin,
        )
    logs.bind_launch(outcome.context)  # platform and deployment in this request's log lines
    response = redirect(_landing(outcome.context), code=303)
    if outcome.state_cookie:  # the login's state cookie is spent: don't let them pile up
        response.delete_cookie(outcome.state_cookie, path="/", secure=True, httponly=True, samesite="None")
    return response


def _landing(ctx: LaunchContext) -> str:
    """Where a launch goes: deep linking picker, instructor view, or the learner's assessment."""
    if ctx.message_type == DEEP_LINKING_REQUEST:
        return url_for("lti.deep_link", launch_id=ctx.launch_id)
    if ctx.is_staff:
        return url_for("instructor.home", launch_id=ctx.launch_id)
    return url_for("assessments.home", launch_id=ctx.launch_id)


@bp.get("/deep-link/<launch_id>")
def deep_link(launch_id: str):
    ctx = deep_linking.picker(unit_of_work(), launch_id)
    return render_template("tool/deep_link.html", ctx=ctx, blueprints=content().blueprints)


@bp.post("/deep-link/<launch_id>")
def deep_link_choose(launch_id: str):
    """Answer the platform with a signed LtiDeepLinkingResponse naming the chosen assessment."""
    protect()
    try:
        answer = deep_linking.choose(
            unit_of_work(),
            content(),
            launch_id,
            request.form.get("assessment", ""),
            graded_review=request.form.get("grading") == "graded",
            launch_url=f"{_base_url()}/lti/launch",
        )
    except NoActivityChosen as error:
        ctx = deep_linking.picker(unit_of_work(), launch_id)
        return render_template(
            "tool/deep_link.html", ctx=ctx, blueprints=content().blueprints, error=error.title
        ), error.status
    return render_template("tool/auto_post.html", action=answer.return_url, fields={"JWT": answer.jwt})


@bp.get("/jwks.json")
def jwks_json():
    response = jsonify(published_keys(unit_of_work()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/register", methods=["GET", "POST"])
def registration_without_invite():
    """The bare URL registers nothing: only a platform the operator invited may register."""
    raise LaunchError(
        "This registration URL needs an invitation",
        "Skarp registers an LMS only with its operator's consent: a one-time registration URL "
        "(…/lti/register/…) that the operator creates.",
        "Ask the Skarp operator to run `flask --app lti_app platforms invite` and paste the URL it prints "
        "into your LMS (Moodle: 'Tool URL' under Manage tools; Canvas: Developer Keys → LTI Registration).",
        status=403,
    )


@bp.route("/register/<invite>", methods=["GET", "POST"])
def dynamic_registration(invite: str):
    """GET shows what will be registered; POST does it and tells the platform we are done."""
    openid_configuration = request.values.get("openid_configuration", "")
    token = request.values.get("registration_token") or None
    if request.method == "GET":
        check_request(unit_of_work(), invite, openid_configuration)
        return render_template(
            "tool/register.html", openid_configuration=openid_configuration, token=token, scopes=SCOPES
        )
    platform = register_from_lms(
        unit_of_work(),
        invite,
        _base_url(),
        openid_configuration,
        token,
        production=current_app.config["PRODUCTION"],
    )
    return render_template("tool/registered.html", platform=platform)


@bp.get("/canvas.json")
def canvas_json():
    base = _base_url()
    jwk = published_keys(unit_of_work())["keys"][-1]
    placements = [
        {
            "placement": placement,
            "message_type": "LtiDeepLinkingRequest",
            "target_link_uri": f"{base}/lti/launch",
            "text": TOOL_NAME,
        }
        for placement in ("assignment_selection", "link_selection")
    ]
    return jsonify(
        {
            "title": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "oidc_initiation_url": f"{base}/lti/login",
            "target_link_uri": f"{base}/lti/launch",
            "public_jwk": jwk,
            "public_jwk_url": f"{base}/lti/jwks.json",
            "scopes": list(SCOPES),
            "extensions": [
                {
                    "platform": "canvas.instructure.com",
                    "privacy_level": "public",
                    "domain": base.split("://", 1)[1],
                    "settings": {"text": TOOL_NAME, "placements": placements},
                }
            ],
            "custom_fields": {},
        }
    )


@bp.get("/config")
def config_page():
    return render_template("tool/config.html", base=_base_url(), scopes=SCOPES, tool_name=TOOL_NAME)
