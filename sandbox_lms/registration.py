"""Discovery and LTI Dynamic Registration 1.0, platform side.

The home page starts a registration by sending the browser to the tool's registration URL with the
platform's openid_configuration URL and a one-time registration_token; the tool then POSTs its client
metadata to /register with that token as a bearer credential.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import claims
from .db import db, state
from .models import RegistrationToken, Tool, utcnow
from .tokens import platform_jwks

bp = Blueprint("registration", __name__)

REGISTRATION_TOKEN_LIFETIME = timedelta(hours=1)
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "azp", "exp", "iat", "nonce", "name", "given_name", "family_name")


class InvalidClientMetadata(ValueError):
    """The tool's registration request is not acceptable; the message becomes ``error_description``."""


def openid_configuration() -> dict[str, Any]:
    st = state()
    return {
        "issuer": st.base_url,
        "authorization_endpoint": st.url("/auth"),
        "registration_endpoint": st.url("/register"),
        "jwks_uri": st.url("/jwks.json"),
        "token_endpoint": st.url("/token"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", *claims.SUPPORTED_SCOPES],
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": [*ID_TOKEN_CLAIMS, "email"],
        "subject_types_supported": ["public", "pairwise"],
        "authorization_server": st.url("/token"),
        claims.PLATFORM_CONFIGURATION: {
            "product_family_code": claims.PRODUCT_FAMILY_CODE,
            "version": claims.PLATFORM_VERSION,
            "messages_supported": [
                {"type": claims.MESSAGE_RESOURCE_LINK},
                {"type": claims.MESSAGE_DEEP_LINKING, "placements": ["ContentArea"]},
            ],
            "variables": ["$User.id", "$Person.name.full", "$Context.id", "$ResourceLink.id"],
        },
    }


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    return jsonify(openid_configuration())


@bp.get("/jwks.json")
def jwks() -> Response:
    return jsonify(platform_jwks(current_app._get_current_object()))  # type: ignore[attr-defined]


def is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added, keeping any query string the tool's URL already has."""
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return urlunsplit(parts._replace(query=query))


def issue_registration_token(session: Session, registration_url: str) -> str:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + REGISTRATION_TOKEN_LIFETIME
    session.add(RegistrationToken(token=token, registration_url=registration_url, expires_at=expires_at))
    session.commit()
    return token


@bp.post("/registration/start")
def start_registration() -> Response | tuple[str, int]:
    """Send the browser to the tool's registration URL (the home page opens it in a popup)."""
    url = request.form.get("registration_url", "").strip()
    if not is_http_url(url):
        message = (
            "The registration URL must be an absolute http(s) URL, like "
            "http://localhost:5000/lti/register/TOKEN (from flask --app lti_app platforms invite)."
        )
        return render_template("error.html", title="Cannot start registration", message=message), 400
    token = issue_registration_token(db(), url)
    params = {
        "openid_configuration": state().url("/.well-known/openid-configuration"),
        "registration_token": token,
    }
    return redirect(with_query(url, params), code=303)


def _require(condition: bool, description: str) -> None:
    if not condition:
        raise InvalidClientMetadata(description)


def _string_map(value: Any, name: str) -> dict[str, str]:
    _require(
        isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()),
        f"{name} must be an object of string values",
    )
    return dict(value)


def _validate_core(metadata: dict[str, Any]) -> None:
    _require(metadata.get("application_type") == "web", "application_type must be 'web'")
    response_types = metadata.get("response_types")
    _require(
        isinstance(response_types, list) and "id_token" in response_types,
        "response_types must contain id_token",
    )
    grants = metadata.get("grant_types")
    _require(
        isinstance(grants, list) and {"implicit", "client_credentials"} <= set(grants),
        "grant_types must contain implicit and client_credentials",
    )
    _require(is_http_url(metadata.get("initiate_login_uri")), "initiate_login_uri must be an absolute URL")
    redirect_uris = metadata.get("redirect_uris")
    _require(
        isinstance(redirect_uris, list) and bool(redirect_uris) and all(map(is_http_url, redirect_uris)),
        "redirect_uris must be a non-empty list of absolute URLs",
    )
    _require(is_http_url(metadata.get("jwks_uri")), "jwks_uri must be an absolute URL")
    _require(
        metadata.get("token_endpoint_auth_method") == "private_key_jwt",
        "token_endpoint_auth_method must be private_key_jwt",
    )
    _require(isinstance(metadata.get("scope", ""), str), "scope must be a space-separated string")


def _host_matches(url: str, domains: list[str]) -> bool:
    """Like Moodle: the target_link_uri must be on the declared domain (with or without its port)."""
    parts = urlsplit(url)
    return any(domain in (parts.netloc, parts.hostname) for domain in domains)


def _validate_messages(messages: Any) -> list[dict[str, Any]]:
    """Registered message types, keeping only those this platform can send."""
    _require(isinstance(messages, list), "the lti-tool-configuration messages must be a list")
    kept = []
    for message in messages:
        _require(
            isinstance(message, dict) and isinstance(message.get("type"), str), "each message needs a type"
        )
        if "target_link_uri" in message:
            _require(
                is_http_url(message["target_link_uri"]), "a message target_link_uri must be an absolute URL"
            )
        if "custom_parameters" in message:
            _string_map(message["custom_parameters"], "a message's custom_parameters")
        if message["type"] in claims.MESSAGES_SUPPORTED:
            kept.append(message)
    return kept


def _validate_tool_configuration(config: Any) -> dict[str, Any]:
    _require(isinstance(config, dict), f"the {claims.TOOL_CONFIGURATION} claim is required")
    domain = config.get("domain")
    _require(isinstance(domain, str) and bool(domain) and "://" not in domain, "domain must be a host name")
    target = config.get("target_link_uri")
    _require(is_http_url(target), "target_link_uri must be an absolute URL")
    secondary = config.get("secondary_domains", [])
    _require(isinstance(secondary, list), "secondary_domains must be a list")
    _require(_host_matches(target, [domain, *secondary]), "target_link_uri is not on the tool's domain")
    _require("messages" in config, "the lti-tool-configuration claim must list messages")
    custom = _string_map(config.get("custom_parameters", {}), "custom_parameters")
    return {**config, "messages": _validate_messages(config["messages"]), "custom_parameters": custom}


def granted_scopes(requested: str) -> list[str]:
    """The requested scopes this platform supports, in the tool's order (unknown ones are not granted)."""
    return [scope for scope in dict.fromkeys(requested.split()) if scope in claims.SUPPORTED_SCOPES]


def register_tool(session: Session, metadata: Any, *, deployment_id: str = claims.DEPLOYMENT_ID) -> Tool:
    """Validate a Dynamic Registration request and store the tool; also the way tests register a fake tool."""
    _require(isinstance(metadata, dict), "the registration must be a JSON object")
    _validate_core(metadata)
    config = _validate_tool_configuration(metadata.get(claims.TOOL_CONFIGURATION))
    client_id = str(uuid.uuid4())
    scopes = granted_scopes(metadata.get("scope", ""))
    response = {
        **metadata,
        "client_id": client_id,
        "scope": " ".join(scopes),
        claims.TOOL_CONFIGURATION: {**config, "deployment_id": deployment_id},
    }
    tool = Tool(
        client_id=client_id,
        deployment_id=deployment_id,
        name=str(metadata.get("client_name") or config["domain"]),
        initiate_login_uri=metadata["initiate_login_uri"],
        target_link_uri=config["target_link_uri"],
        redirect_uris=list(metadata["redirect_uris"]),
        jwks_uri=metadata["jwks_uri"],
        domain=config["domain"],
        scopes=scopes,
        messages=config["messages"],
        custom_parameters=config["custom_parameters"],
        registration=response,
    )
    session.add(tool)
    session.flush()
    return tool


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _usable_registration_token(session: Session) -> RegistrationToken | None:
    token = _bearer_token()
    if token is None:
        return None
    row = session.scalar(select(RegistrationToken).where(RegistrationToken.token == token))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


@bp.post("/register")
def register() -> tuple[Response, int]:
    """The registration endpoint: bearer registration token (single use), JSON client metadata."""
    session = db()
    token = _usable_registration_token(session)
    if token is None:
        return _invalid_token()
    try:
        tool = register_tool(session, request.get_json(silent=True))
    except InvalidClientMetadata as error:
        session.rollback()
        return jsonify({"error": "invalid_client_metadata", "error_description": str(error)}), 400
    if not _consume(session, token.token):
        session.rollback()
        return _invalid_token()
    session.commit()
    return jsonify(tool.registration), 200


def _consume(session: Session, token: str) -> bool:
    """Mark the token used in one UPDATE, so two concurrent registrations cannot both spend it."""
    spent = session.execute(
        update(RegistrationToken)
        .where(RegistrationToken.token == token, RegistrationToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return spent.rowcount == 1  # type: ignore[attr-defined]


def _invalid_token() -> tuple[Response, int]:
    body = {"error": "invalid_token", "error_description": "a valid, unused registration token is required"}
    response = jsonify(body)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response, 401
