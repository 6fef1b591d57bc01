"""LTI Dynamic Registration 1.0, tool side, as Moodle 4.x ("Add LTI Advantage") and Canvas use it,
and only with the operator's consent.

0. the operator runs `flask --app lti_app platforms invite` and hands the printed one-time URL
   (/lti/register/<invite>) to the LMS admin, who pastes it into the LMS (Moodle's "Tool URL");
1. the platform opens it with ?openid_configuration=URL&registration_token=T;
2. the tool fetches the platform's OpenID configuration (sending the token, as Canvas requires)
   through the outbound guard, and checks it: https, well-formed ASCII hosts, no wildcards, bounds;
3. the tool POSTs its registration to the platform's registration_endpoint;
4. the returned client_id and deployment_id are stored and the invite is spent.

Without a valid invite nothing is fetched and nothing stored: anyone can reach /lti/register, only
the operator decides which platforms are trusted. An invite is stored as a SHA-256 hash, expires,
and is used once (claimed with a compare-and-set, so two tabs cannot both use it); a registration
that fails releases it, so the admin can try again with the same URL. Error messages never quote
what a remote server answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy.orm import Session

from lti_app.adapters import outbound
from lti_app.adapters.orm import Platform
from lti_app.errors import LaunchError
from lti_app.lti.claims import (
    AGS_SCOPES,
    AGS_SCORE_SCOPE,
    NRPS_SCOPE,
    PLATFORM_CONFIGURATION,
    TOOL_CONFIGURATION,
)
from lti_app.lti.keys import jwks
from lti_app.services.invites import InviteError, claim_invite, find_invite, release_invite
from lti_app.services.platform_urls import UrlError, normalise_url, origin_of
from lti_app.services.platforms import (
    PlatformError,
    PlatformSpec,
    add_deployment,
    add_platform,
    check_text,
    find_platform,
)
from lti_app.services.unit_of_work import UnitOfWork

SCOPES = (
    AGS_SCOPES + "lineitem",
    AGS_SCOPES + "lineitem.readonly",
    AGS_SCOPES + "result.readonly",
    AGS_SCORE_SCOPE,
    NRPS_SCOPE,
)
TOOL_NAME = "Skarp: ITIL 4 Foundation exam prep"
TOOL_DESCRIPTION = "Diagnostic and mock exam for ITIL 4 Foundation, graded on the server, with a gap guide."
TIMEOUT_SECONDS = 10
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
MAX_REGISTRATION_TOKEN = 4096
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class RegistrationError(Exception):
    """Dynamic Registration failed; the message says at which step and what is wrong (never a remote
    body). `status` is 400 for what the platform sent or asked for, 403 for an invite's platform
    mismatch, 502 when the platform could not be reached or failed."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --- the registration ---------------------------------------------------------------------------


def tool_registration(base_url: str) -> dict[str, Any]:
    """The tool's registration request (client metadata), per LTI Dynamic Registration 1.0."""
    launch = f"{base_url}/lti/launch"
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base_url}/lti/login",
        "redirect_uris": [launch],
        "client_name": TOOL_NAME,
        "jwks_uri": f"{base_url}/lti/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base_url).netloc,
            "description": TOOL_DESCRIPTION,
            "target_link_uri": launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch, "label": "Skarp assessment"},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": launch,
                    "label": "Add a Skarp assessment",
                    "placements": ["ContentArea", "assignment_selection", "link_selection"],
                    "supported_types": ["ltiResourceLink"],
                },
            ],
        },
    }


@dataclass(frozen=True)
class PlatformConfiguration:
    """The parts of a platform's OpenID configuration the tool uses, checked and normalised."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    authorization_server: str | None
    product_family: str | None


def check_configuration(
    configuration: object, fetched_from: str, *, allow_http_loopback: bool
) -> PlatformConfiguration:
    """Validate the configuration before anything is stored or called; RegistrationError names the
    field. The issuer must be on the site the configuration was fetched from."""
    if not isinstance(configuration, dict):
        raise RegistrationError("the platform's configuration is not a JSON object")
    missing = [key for key in ("issuer", *ENDPOINTS) if not configuration.get(key)]
    if missing:
        raise RegistrationError(f"the platform's configuration lacks {', '.join(missing)}")
    try:
        urls = {
            key: normalise_url(key, configuration[key], allow_http_loopback=allow_http_loopback)
            for key in ("issuer", *ENDPOINTS)
        }
        audience = configuration.get("authorization_server")
        audience = check_text("authorization_server", audience) if audience else None
        family = (configuration.get(PLATFORM_CONFIGURATION) or {}).get("product_family_code")
        family = check_text("product_family", family, required=False) or None if family else None
    except (UrlError, PlatformError, AttributeError) as error:
        raise RegistrationError(f"the platform's configuration is not acceptable: {error}") from None
    if origin_of(urls["issuer"]) != origin_of(fetched_from):
        raise RegistrationError(
            f"the configuration's issuer {urls['issuer']} is not on the site it was fetched from"
            f" ({origin_of(fetched_from)})"
        )
    return PlatformConfiguration(**urls, authorization_server=audience, product_family=family)


def _failed(step: str, url: str, error: Exception) -> RegistrationError:
    status = 400 if isinstance(error, outbound.AddressRefused) else 502
    return RegistrationError(f"{step} ({url}) failed: {outbound.describe(error)}", status)


def _json(response: requests.Response, what: str) -> Any:
    if response.status_code >= 400:
        raise RegistrationError(f"{what} answered HTTP {response.status_code}", 502)
    try:
        return response.json()
    except ValueError:
        raise RegistrationError(f"{what} did not answer with JSON", 502) from None


def fetch_platform_configuration(
    openid_configuration_url: str,
    registration_token: str | None,
    *,
    allow_http_loopback: bool = True,
    http: requests.Session = outbound.http,
) -> PlatformConfiguration:
    try:
        url = normalise_url(
            "openid_configuration", openid_configuration_url, allow_http_loopback=allow_http_loopback
        )
    except UrlError as error:
        raise RegistrationError(str(error)) from None
    try:
        response = http.get(url, headers=_bearer(registration_token), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise _failed("reading the platform's configuration", url, error) from None
    configuration = _json(response, "the platform's configuration URL")
    return check_configuration(configuration, url, allow_http_loopback=allow_http_loopback)


def _bearer(registration_token: str | None) -> dict[str, str]:
    if not registration_token:
        return {}
    if len(registration_token) > MAX_REGISTRATION_TOKEN or _HEADER_UNSAFE.search(registration_token):
        raise RegistrationError("the registration_token is too long or holds control characters")
    return {"Authorization": f"Bearer {registration_token}"}


def _post_registration(
    http: requests.Session, configuration: PlatformConfiguration, base_url: str, token: str | None
) -> tuple[str, str | None]:
    url = configuration.registration_endpoint
    try:
        response = http.post(
            url, json=tool_registration(base_url), headers=_bearer(token), timeout=TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        raise _failed("sending the registration", url, error) from None
    answer = _json(response, "the platform's registration endpoint")
    if not isinstance(answer, dict):
        raise RegistrationError("the platform's answer to the registration is not a JSON object", 502)
    tool_configuration = answer.get(TOOL_CONFIGURATION)
    deployment_id = tool_configuration.get("deployment_id") if isinstance(tool_configuration, dict) else None
    try:
        if not answer.get("client_id"):
            raise PlatformError("the platform's answer has no client_id")
        client_id = check_text("client_id", answer["client_id"])
        deployment_id = (
            check_text("deployment_id", deployment_id) if deployment_id not in (None, "") else None
        )
    except PlatformError as error:
        raise RegistrationError(str(error), 502) from None
    return client_id, deployment_id


def _store(
    session: Session,
    configuration: PlatformConfiguration,
    client_id: str,
    deployment_id: str | None,
    *,
    allow_http_loopback: bool,
) -> Platform:
    existing = find_platform(session, configuration.issuer, client_id)
    if existing is not None:
        if deployment_id and all(d.deployment_id != deployment_id for d in existing.deployments):
            add_deployment(session, existing, deployment_id)
        return existing
    spec = PlatformSpec(
        name=configuration.product_family or configuration.issuer,
        issuer=configuration.issuer,
        client_id=client_id,
        auth_login_url=configuration.authorization_endpoint,
        auth_token_url=configuration.token_endpoint,
        key_set_url=configuration.jwks_uri,
        deployment_ids=(deployment_id,) if deployment_id else (),
        auth_audience=configuration.authorization_server,
        product_family=configuration.product_family,
    )
    try:
        return add_platform(session, spec, allow_http_loopback=allow_http_loopback)
    except PlatformError as error:
        raise RegistrationError(str(error)) from None


def register(
    session: Session,
    invite_token: str,
    base_url: str,
    openid_configuration_url: str,
    registration_token: str | None,
    *,
    production: bool = False,
    http: requests.Session = outbound.http,
) -> Platform:
    """The whole registration under one invite (see lti_app.services.invites): InviteError without a
    usable one, RegistrationError if a step fails (the invite is then released)."""
    invite = claim_invite(session, invite_token)
    allow_http = not production
    try:
        configuration = fetch_platform_configuration(
            openid_configuration_url, registration_token, allow_http_loopback=allow_http, http=http
        )
        if invite.issuer and configuration.issuer != invite.issuer:
            raise RegistrationError(
                f"this registration URL is for {invite.issuer}, not {configuration.issuer}", 403
            )
        client_id, deployment_id = _post_registration(http, configuration, base_url, registration_token)
        platform = _store(session, configuration, client_id, deployment_id, allow_http_loopback=allow_http)
    except BaseException:
        release_invite(session, invite.id)
        raise
    invite.platform_id = platform.id
    session.commit()
    return platform


# --- the use cases behind /lti/register/<invite> and /lti/jwks.json ----------------------------------

INVITE_REFUSED = "This registration URL cannot be used"


def check_request(uow: UnitOfWork, invite_token: str, openid_configuration_url: str) -> None:
    """Before anything is shown or fetched: a usable invite, and the parameter only an LMS adds."""
    with uow:
        try:
            find_invite(uow.session, invite_token)
        except InviteError as error:
            raise LaunchError(INVITE_REFUSED, str(error), status=403) from None
    if not openid_configuration_url:
        raise LaunchError(
            "Start the registration from your LMS",
            "this URL needs the openid_configuration parameter that the LMS adds",
            "In Moodle: Site administration → Plugins → Activity modules → External tool → Manage tools, "
            "paste this URL in 'Tool URL' and click 'Add LTI Advantage'.",
        )


def register_from_lms(
    uow: UnitOfWork,
    invite_token: str,
    base_url: str,
    openid_configuration_url: str,
    registration_token: str | None,
    *,
    production: bool,
) -> Platform:
    """The registration an LMS asked for, its failures as pages (the invite is released on failure)."""
    check_request(uow, invite_token, openid_configuration_url)
    try:
        return register(
            uow.session,
            invite_token,
            base_url,
            openid_configuration_url,
            registration_token,
            production=production,
        )
    except InviteError as error:
        raise LaunchError(INVITE_REFUSED, str(error), status=403) from None
    except RegistrationError as error:
        raise LaunchError(
            "The registration failed", str(error), "Try again from your LMS.", status=error.status
        ) from None


def published_keys(uow: UnitOfWork) -> dict[str, Any]:
    """The tool's public keys (JWKS); the first call makes the signing key."""
    with uow:
        return jwks(uow.session)
