"""The LTI 1.3 login and launch, as use cases: what the /lti/login and /lti/launch views call.

The login checks its unsigned parameters, finds the platform and starts the OIDC flow (a state
cookie, or LTI Platform Storage where the platform offers it). The launch validates the id_token
(lti_app.lti.launch: signature, nonce, claims), decides which assessment the link opens, refuses a
deep linking request from anyone but staff, and records the launch in one transaction; only then is
it cached in Redis. Every refusal is a LaunchError or NotPermitted (lti_app.errors): a page, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt

from lti_app.errors import LaunchError, NotPermitted
from lti_app.lti import platform_storage
from lti_app.lti.claims import ClaimError, parse_claims
from lti_app.lti.launch import (
    DEEP_LINKING_REQUEST,
    StrictOIDCLogin,
    client_id_of,
    login_redirect,
    message_launch,
)
from lti_app.lti.storage import RedisLaunchDataStorage, SecureFlaskRequest
from lti_app.lti.tool_conf import DatabaseToolConf
from lti_app.services.launches import LaunchContext, assessment_of, cache_launch, record_launch
from lti_app.services.unit_of_work import UnitOfWork

LOGIN_PARAM_MAX = 4096  # Canvas's lti_message_hint is a JWT of a few hundred characters
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
STORAGE_TARGET = "lti_storage_target"


@dataclass(frozen=True)
class LaunchSettings:
    tool_base_url: str
    clock_leeway_seconds: int
    platform_keys_ttl_seconds: int
    launch_ttl_seconds: int
    default_assessment: str = "diagnostic"

    @property
    def launch_url(self) -> str:
        return f"{self.tool_base_url}/lti/launch"


@dataclass(frozen=True)
class LoginStep:
    """Either pylti1p3's answer (the redirect to the platform, or its cookie check page), or, with LTI
    Platform Storage, what the login page hands to the platform's frame."""

    response: Any = None
    storage_login: dict[str, str] | None = None
    fallback_url: str = ""


@dataclass(frozen=True)
class StorageReadBack:
    """The first post of a Platform Storage launch: the page reads state and nonce back from the
    platform's frame and posts the launch again with them."""

    target: str
    state: str
    id_token: str
    nonce: str
    platform_origin: str


@dataclass(frozen=True)
class Launched:
    context: LaunchContext
    state_cookie: str | None  # the login's state cookie, now spent (None with Platform Storage)


def _check_login_param(name: str, value: str) -> None:
    """Login parameters come unsigned from the browser and are looked up in the database: no NUL (which
    PostgreSQL cannot even compare) and no absurd length."""
    if "\x00" in value:
        raise LaunchError("The login was refused", f"login parameter {name} contains a NUL character")
    if len(value) > LOGIN_PARAM_MAX:
        raise LaunchError(
            "The login was refused", f"login parameter {name} is longer than {LOGIN_PARAM_MAX} characters"
        )


def begin_login(
    uow: UnitOfWork, request: SecureFlaskRequest, values: Mapping[str, str], settings: LaunchSettings
) -> LoginStep:
    """Sends the learner to the platform's authorization endpoint with a fresh state and nonce.

    Where the platform offers LTI Platform Storage, the state is kept there (no cookie needed);
    otherwise in a cookie, after pylti1p3's check that the browser keeps cookies in the LMS frame
    (if it doesn't, the learner is offered the tool in a new window)."""
    params = {name: values.get(name, "") for name in (*LOGIN_PARAMS, STORAGE_TARGET)}
    for name, value in params.items():
        _check_login_param(name, value)
    base = settings.tool_base_url
    target = params["target_link_uri"]
    if target and not (target == base or target.startswith(base + "/")):
        raise LaunchError("The login was refused", f"target_link_uri {target} is not a URL of this tool")
    with uow:
        oidc = StrictOIDCLogin(
            request, DatabaseToolConf(uow.session, uow.registry), RedisLaunchDataStorage(uow.cache)
        )
        registration = oidc.validate_oidc_login()  # an unknown platform is told so before anything else
        if params[STORAGE_TARGET] and not values.get("lti1p3_new_window"):
            storage = RedisLaunchDataStorage(uow.cache, cookieless=True)
            login = platform_storage.begin_login(storage, registration, params, settings.launch_url)
            fallback = {name: value for name, value in params.items() if value and name != STORAGE_TARGET}
            return LoginStep(storage_login=login, fallback_url=f"{base}/lti/login?{urlencode(fallback)}")
        return LoginStep(response=login_redirect(oidc, settings.launch_url))


def launch(
    uow: UnitOfWork,
    request: SecureFlaskRequest,
    form: Mapping[str, str],
    known_assessments: set[str],
    settings: LaunchSettings,
) -> StorageReadBack | Launched:
    """Validate the launch and record it: the learner's (or instructor's) session from now on."""
    state = form.get("state", "")
    storage_target = platform_storage.target_of(state)
    with uow:
        tool_conf = DatabaseToolConf(uow.session, uow.registry)
        if storage_target and "lti_storage_state" not in form:
            return _read_back(tool_conf, storage_target, state, form.get("id_token", ""))
        validated = message_launch(
            request,
            tool_conf,
            RedisLaunchDataStorage(uow.cache, cookieless=storage_target is not None),
            tool_base_url=settings.tool_base_url,
            leeway=settings.clock_leeway_seconds,
            key_set_ttl=settings.platform_keys_ttl_seconds,
        )
        claims = validated.claims  # validated and typed: the raw token body is not used from here on
        platform = tool_conf.platform(claims.iss, client_id_of(validated.get_launch_data()))
        context = record_launch(
            uow.session,
            launch_id=validated.get_launch_id(),
            platform_id=platform.id,
            claims=claims,
            assessment_id=assessment_of(claims, known_assessments, settings.default_assessment),
            ttl_seconds=settings.launch_ttl_seconds,
        )
        if context.message_type == DEEP_LINKING_REQUEST and not context.is_staff:
            raise NotPermitted(
                "Only instructors can add activities", "this deep linking launch is not from staff"
            )
        uow.commit()
    cache_launch(uow.cache, context, settings.launch_ttl_seconds)
    return Launched(context, None if storage_target else f"lti1p3-{state}")


def _read_back(tool_conf: DatabaseToolConf, target: str, state: str, id_token: str) -> StorageReadBack:
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
    platform = tool_conf.platform(claims.get("iss", ""), client_id_of(claims))
    if platform is None:
        raise LaunchError("This LMS is not registered with Skarp", f"no registration for {claims.get('iss')}")
    return StorageReadBack(target, state, id_token, str(claims.get("nonce", "")), platform.origin)
