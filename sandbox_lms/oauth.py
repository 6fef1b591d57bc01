"""The OAuth2 token endpoint (client_credentials with a private_key_jwt assertion, RFC 7523) and the
bearer check every AGS and NRPS request passes: which tool calls, with which scopes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, g, jsonify, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import claims
from .api import ServiceError, service_blueprint
from .db import db, state
from .models import AccessToken, AssertionJti, Tool, utcnow
from .store import get_tool
from .toolauth import ToolJWTError, unverified_parts, verify_tool_jwt

bp = service_blueprint("oauth", __name__)

TOKEN_LIFETIME = 3600


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
