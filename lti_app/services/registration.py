"""LTI Dynamic Registration 1.0, tool side, as Moodle 4.x ("Add LTI Advantage") and Canvas use it.

1. the platform opens /lti/register?openid_configuration=URL&registration_token=T;
2. the tool fetches the platform's OpenID configuration (sending the token, as Canvas requires);
3. the tool POSTs its registration to the platform's registration_endpoint;
4. the returned client_id and deployment_id are stored; the page tells the platform it is done.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy.orm import Session

from lti_app.adapters.orm import Platform
from lti_app.services.platforms import PlatformSpec, add_deployment, add_platform, find_platform

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
TOOL_NAME = "Skarp: ITIL 4 Foundation exam prep"
TOOL_DESCRIPTION = "Diagnostic and mock exam for ITIL 4 Foundation, graded on the server, with a gap guide."
TIMEOUT_SECONDS = 10


class RegistrationError(Exception):
    """Dynamic Registration failed; the message says at which step and what the platform said."""


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


def fetch_platform_configuration(openid_configuration_url: str, registration_token: str | None) -> dict:
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    try:
        response = requests.get(openid_configuration_url, headers=headers, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        configuration = response.json()
    except (requests.RequestException, ValueError) as error:
        raise RegistrationError(f"could not read the platform's configuration: {error}") from None
    issuer = configuration.get("issuer", "")
    if not issuer or urlsplit(issuer).netloc != urlsplit(openid_configuration_url).netloc:
        raise RegistrationError(
            f"the configuration's issuer {issuer!r} does not match where it was fetched from"
            f" ({openid_configuration_url})"
        )
    missing = [
        key
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
        if not configuration.get(key)
    ]
    if missing:
        raise RegistrationError(f"the platform's configuration lacks {', '.join(missing)}")
    return configuration


def register(
    session: Session, base_url: str, openid_configuration_url: str, registration_token: str | None
) -> Platform:
    configuration = fetch_platform_configuration(openid_configuration_url, registration_token)
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    try:
        response = requests.post(
            configuration["registration_endpoint"],
            json=tool_registration(base_url),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise RegistrationError(f"could not reach the registration endpoint: {error}") from None
    if response.status_code >= 400:
        raise RegistrationError(
            f"the platform refused the registration ({response.status_code}): {response.text[:500]}"
        )
    answer = response.json()
    client_id = answer.get("client_id")
    deployment_id = (answer.get(TOOL_CONFIGURATION) or {}).get("deployment_id")
    if not client_id:
        raise RegistrationError("the platform's answer has no client_id")
    platform_info = configuration.get(PLATFORM_CONFIGURATION) or {}
    existing = find_platform(session, configuration["issuer"], client_id)
    if existing is not None:
        if deployment_id and all(d.deployment_id != deployment_id for d in existing.deployments):
            add_deployment(session, existing, deployment_id)
        return existing
    return add_platform(
        session,
        PlatformSpec(
            name=platform_info.get("product_family_code") or configuration["issuer"],
            issuer=configuration["issuer"],
            client_id=client_id,
            auth_login_url=configuration["authorization_endpoint"],
            auth_token_url=configuration["token_endpoint"],
            key_set_url=configuration["jwks_uri"],
            deployment_ids=(deployment_id,) if deployment_id else (),
            auth_audience=configuration.get("authorization_server"),
            product_family=platform_info.get("product_family_code"),
        ),
    )
