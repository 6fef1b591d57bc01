"""The fixed, documented LTI URLs that LMS admins and docs rely on.

/lti/login        OIDC third-party initiated login (GET and POST)
/lti/launch       the launch (redirect URI): resource links and deep linking
/lti/jwks.json    the tool's public keys
/lti/register/<invite>  LTI Dynamic Registration (Moodle 4.x "Add LTI Advantage", Canvas), with
                  the one-time URL the operator creates (`flask --app lti_app platforms invite`)
/lti/canvas.json  Canvas developer key JSON configuration
/lti/config       every URL Moodle's manual registration form asks for
"""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException
from pylti1p3.lineitem import LineItem

from courseware.model import Blueprint as AssessmentBlueprint
from courseware.model import BlueprintKind
from lti_app.adapters.db import db
from lti_app.adapters.orm import Platform
from lti_app.adapters.redis_store import store
from lti_app.extensions import content
from lti_app.lti import platform_storage
from lti_app.lti.claims import ClaimError, parse_claims
from lti_app.lti.keys import jwks
from lti_app.lti.launch import (
    DEEP_LINKING_REQUEST,
    LaunchError,
    StrictMessageLaunch,
    StrictOIDCLogin,
    client_id_of,
)
from lti_app.lti.storage import RedisLaunchDataStorage, SecureFlaskRequest
from lti_app.lti.tool_conf import DatabaseToolConf
from lti_app.observability import logs
from lti_app.services.invites import InviteError, find_invite
from lti_app.services.launches import assessment_of, load_launch, record_launch
from lti_app.services.registration import SCOPES, TOOL_DESCRIPTION, TOOL_NAME, RegistrationError, register
from lti_app.web.csrf import protect
from lti_app.web.security import allow_inline_scripts_of

bp = Blueprint("lti", __name__, url_prefix="/lti")
DEFAULT_ASSESSMENT = "diagnostic"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _base_url() -> str:
    return current_app.config["TOOL_BASE_URL"]


def _storage(*, cookieless: bool = False) -> RedisLaunchDataStorage:
    return RedisLaunchDataStorage(store(), cookieless=cookieless)


LOGIN_PARAM_MAX = 4096  # Canvas's lti_message_hint is a JWT of a few hundred characters
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sends the learner to the platform's authorization endpoint with a fresh state and nonce.

    Where the platform offers LTI Platform Storage, the state is kept there (no cookie needed);
    otherwise in a cookie, after pylti1p3's check that the browser keeps cookies in the LMS frame
    (if it doesn't, the learner is offered the tool in a new window)."""
    for name in (*LOGIN_PARAMS, "lti_storage_target"):
        _check_login_param(name, request.values.get(name, ""))
    target = request.values.get("target_link_uri", "")
    if target and not (target == _base_url() or target.startswith(_base_url() + "/")):
        raise LaunchError("The login was refused", f"target_link_uri {target} is not a URL of this tool")
    oidc = StrictOIDCLogin(SecureFlaskRequest(), DatabaseToolConf(db()), _storage())
    registration = oidc.validate_oidc_login()  # an unknown platform is told so before anything else
    if request.values.get("lti_storage_target") and not request.values.get("lti1p3_new_window"):
        params = {name: request.values.get(name, "") for name in (*LOGIN_PARAMS, "lti_storage_target")}
        login = platform_storage.begin_login(
            _storage(cookieless=True), registration, params, f"{_base_url()}/lti/launch"
        )
        fallback = {name: value for name, value in params.items() if value and name != "lti_storage_target"}
        return render_template(
            "tool/platform_storage_login.html",
            login=login,
            fallback_url=f"{_base_url()}/lti/login?{urlencode(fallback)}",
        )
    try:
        response = oidc.enable_check_cookies().redirect(f"{_base_url()}/lti/launch")
    except LtiException as error:
        raise LaunchError("The login was refused", str(error)) from None
    return allow_inline_scripts_of(response)


def _check_login_param(name: str, value: str) -> None:
    """Login parameters come unsigned from the browser and are looked up in the database: no NUL (which
    PostgreSQL cannot even compare) and no absurd length."""
    if "\x00" in value:
        raise LaunchError("The login was refused", f"login parameter {name} contains a NUL character")
    if len(value) > LOGIN_PARAM_MAX:
        raise LaunchError(
            "The login was refused", f"login parameter {name} is longer than {LOGIN_PARAM_MAX} characters"
        )


@bp.post("/launch")
def launch():
    state = request.form.get("state", "")
    storage_target = platform_storage.target_of(state)
    if storage_target and "lti_storage_state" not in request.form:
        # First read the state and nonce back from the platform's storage, in the browser.
        id_token = request.form.get("id_token", "")
        claims = _unverified_claims(id_token)
        platform = DatabaseToolConf(db()).platform(claims.get("iss", ""), client_id_of(claims))
        if platform is None:
            raise LaunchError(
                "This LMS is not registered with Skarp", f"no registration for {claims.get('iss')}"
            )
        return render_template(
            "tool/platform_storage_launch.html",
            target=storage_target,
            state=state,
            id_token=id_token,
            nonce=str(claims.get("nonce", "")),
            platform_origin=platform.origin,
        )
    tool_conf = DatabaseToolConf(db())
    try:
        message_launch = StrictMessageLaunch(
            SecureFlaskRequest(),
            tool_conf,
            _storage(cookieless=storage_target is not None),
            tool_base_url=_base_url(),
            leeway=current_app.config["LTI_CLOCK_LEEWAY_SECONDS"],
            key_set_ttl=current_app.config["LTI_PLATFORM_KEYS_TTL_SECONDS"],
        )
    except LtiException as error:
        if "cookie" not in str(error):
            raise LaunchError("The launch was refused", str(error)) from None
        # pylti1p3 says "Missing %s cookie session-id" (sic): say what it means and what to do.
        raise LaunchError(
            "The launch was refused",
            "the browser did not send back the cookie set at login (lti1p3-session-id), so this launch "
            "cannot be matched to its login",
            "The browser may block cookies in the LMS frame: open the activity in a new window, or allow "
            "cookies for this site, then launch again from the LMS.",
        ) from None
    message_launch.validate()
    claims = message_launch.claims  # validated and typed: the raw token body is not used from here on
    platform = tool_conf.platform(claims.iss, client_id_of(message_launch.get_launch_data()))
    known = {b.id for b in content().blueprints}
    ctx = record_launch(
        db(),
        store(),
        launch_id=message_launch.get_launch_id(),
        platform_id=platform.id,
        claims=claims,
        assessment_id=assessment_of(claims, known, DEFAULT_ASSESSMENT),
        ttl_seconds=current_app.config["LAUNCH_TTL_SECONDS"],
    )
    logs.bind_launch(ctx)  # platform and deployment in this request's log lines
    response = redirect(_landing(ctx), code=303)
    if storage_target is None:  # the login's state cookie is spent: don't let them pile up
        response.delete_cookie(f"lti1p3-{state}", path="/", secure=True, httponly=True, samesite="None")
    return response


def _landing(ctx) -> str:
    """Where a launch goes: deep linking picker, instructor view, or the learner's assessment."""
    if ctx.message_type == DEEP_LINKING_REQUEST:
        if not ctx.is_staff:
            raise LaunchError(
                "Only instructors can add activities", "this deep linking launch is not from staff"
            )
        return url_for("lti.deep_link", launch_id=ctx.launch_id)
    if ctx.is_staff:
        return url_for("instructor.home", launch_id=ctx.launch_id)
    return url_for("assessments.home", launch_id=ctx.launch_id)


def _unverified_claims(id_token: str) -> dict:
    """Issuer and nonce, to look the state up in platform storage; the token is verified on the
    next post, before anything is trusted."""
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise LaunchError("The launch was refused", "the id_token is not a readable JWT") from None
    try:
        parse_claims(claims)  # the issuer, audience and nonce are about to be used: of the right type
    except ClaimError as error:
        raise LaunchError("The launch was refused", str(error)) from None
    return claims


def _deep_link_context(launch_id: str):
    ctx = load_launch(db(), store(), launch_id)
    if ctx is None or ctx.message_type != DEEP_LINKING_REQUEST or not ctx.is_staff:
        raise LaunchError(
            "This page has expired", "the deep linking launch is unknown or expired", status=403
        )
    return ctx


@bp.get("/deep-link/<launch_id>")
def deep_link(launch_id: str):
    ctx = _deep_link_context(launch_id)
    return render_template("tool/deep_link.html", ctx=ctx, blueprints=content().blueprints)


@bp.post("/deep-link/<launch_id>")
def deep_link_choose(launch_id: str):
    """Answer the platform with a signed LtiDeepLinkingResponse naming the chosen assessment."""
    protect()
    ctx = _deep_link_context(launch_id)
    chosen = next((b for b in content().blueprints if b.id == request.form.get("assessment")), None)
    if chosen is None:
        return render_template(
            "tool/deep_link.html", ctx=ctx, blueprints=content().blueprints, error="Choose an activity."
        ), 400
    tool_conf = DatabaseToolConf(db())
    platform = db().get(Platform, ctx.platform_id)
    settings = ctx.claims.get(DL + "deep_linking_settings") or {}
    deep_link = DeepLink(tool_conf.registration(platform), ctx.deployment_id, settings)
    token = deep_link.get_response_jwt([_resource(chosen, request.form.get("grading") == "graded")])
    return render_template(
        "tool/auto_post.html", action=settings["deep_link_return_url"], fields={"JWT": token}
    )


def _resource(chosen: AssessmentBlueprint, graded_review: bool) -> DeepLinkResource:
    """An assessment's link carries a line item out of its questions. A review is graded only if the
    instructor says so (then out of 1, for completion); an ungraded one asks for no gradebook column."""
    review = chosen.kind is BlueprintKind.review
    custom = {"assessment": chosen.id} | ({"graded": "true" if graded_review else "false"} if review else {})
    resource = (
        DeepLinkResource()
        .set_url(f"{_base_url()}/lti/launch")
        .set_title(chosen.title)
        .set_custom_params(custom)
    )
    if review and not graded_review:
        return resource
    return resource.set_lineitem(
        LineItem()
        .set_score_maximum(1 if review else chosen.item_count)
        .set_label(chosen.title)
        .set_resource_id(chosen.id)
        .set_tag("skarp")
    )


@bp.get("/jwks.json")
def jwks_json():
    response = jsonify(jwks(db()))
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
    try:
        find_invite(db(), invite)
    except InviteError as error:
        raise LaunchError("This registration URL cannot be used", str(error), status=403) from None
    if not openid_configuration:
        raise LaunchError(
            "Start the registration from your LMS",
            "this URL needs the openid_configuration parameter that the LMS adds",
            "In Moodle: Site administration → Plugins → Activity modules → External tool → Manage tools, "
            "paste this URL in 'Tool URL' and click 'Add LTI Advantage'.",
        )
    if request.method == "GET":
        return render_template(
            "tool/register.html", openid_configuration=openid_configuration, token=token, scopes=SCOPES
        )
    production = current_app.config["PRODUCTION"]
    try:
        platform = register(db(), invite, _base_url(), openid_configuration, token, production=production)
    except InviteError as error:
        raise LaunchError("This registration URL cannot be used", str(error), status=403) from None
    except RegistrationError as error:
        raise LaunchError(
            "The registration failed", str(error), "Try again from your LMS.", status=error.status
        ) from None
    return render_template("tool/registered.html", platform=platform)


@bp.get("/canvas.json")
def canvas_json():
    base = _base_url()
    jwk = jwks(db())["keys"][-1]
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
