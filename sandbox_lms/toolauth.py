"""Verifying JWTs that tools sign (client assertions, deep linking responses) against the tool's JWKS.

The JWKS is fetched from the registered jwks_uri on every verification: the sandbox is for catching tool
bugs, and a stale cache would hide a tool that rotated its key without publishing it.
"""

from __future__ import annotations

from typing import Any

import jwt
import requests
from jwt.exceptions import PyJWKError, PyJWTError

from .models import Tool

JWKS_TIMEOUT = 5
LEEWAY = 5


class ToolJWTError(Exception):
    """A tool-signed JWT was refused; the message names the problem for the error page or JSON body."""


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before verification, only to learn which tool signed and with which key."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except PyJWTError as error:
        raise ToolJWTError(f"not a well-formed JWT: {error}") from error
    return header, claims


def fetch_jwks(jwks_uri: str) -> list[dict[str, Any]]:
    try:
        response = requests.get(jwks_uri, timeout=JWKS_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        keys = response.json().get("keys")
    except (requests.RequestException, ValueError, AttributeError) as error:
        raise ToolJWTError(f"could not fetch the tool's JWKS from {jwks_uri}: {error}") from error
    if not isinstance(keys, list) or not keys:
        raise ToolJWTError(f"the tool's JWKS at {jwks_uri} has no keys")
    return keys


def select_key(keys: list[dict[str, Any]], kid: str | None) -> Any:
    """The RSA key named by ``kid``; without a kid only a single-key JWKS is unambiguous."""
    if kid is None:
        if len(keys) != 1:
            raise ToolJWTError("the JWT header has no kid and the tool's JWKS has several keys")
        candidates = keys
    else:
        candidates = [key for key in keys if key.get("kid") == kid]
        if not candidates:
            raise ToolJWTError(f"no key with kid {kid!r} in the tool's JWKS")
    jwk = candidates[0]
    if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
        raise ToolJWTError("the tool's key must be an RSA key for RS256")
    try:
        return jwt.PyJWK(jwk, algorithm="RS256").key
    except PyJWKError as error:
        raise ToolJWTError(f"the tool's JWK is invalid: {error}") from error


def verify_tool_jwt(
    tool: Tool, token: str, *, audience: list[str], require: tuple[str, ...] = ("exp", "iat")
) -> dict[str, Any]:
    """Verify signature (RS256 only), iss = client_id, aud, exp/iat and presence of ``require``d claims."""
    header, _ = unverified_parts(token)
    if header.get("alg") != "RS256":
        raise ToolJWTError(f"the JWT must be signed with RS256, not {header.get('alg')!r}")
    key = select_key(fetch_jwks(tool.jwks_uri), header.get("kid"))
    try:
        return jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=audience,
            issuer=tool.client_id,
            leeway=LEEWAY,
            options={"require": ["iss", "aud", *require]},
        )
    except PyJWTError as error:
        raise ToolJWTError(f"the JWT was refused: {_explain(error, audience)}") from error


def _explain(error: PyJWTError, audience: list[str]) -> str:
    """PyJWT's reasons in the vocabulary of the specs, so the page names the claim to fix."""
    if isinstance(error, jwt.InvalidSignatureError):
        return "the signature does not verify with the tool's published key"
    if isinstance(error, jwt.ExpiredSignatureError):
        return "it has expired (exp)"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "it is not valid yet (iat or nbf in the future)"
    if isinstance(error, jwt.InvalidAudienceError):
        return "aud must be " + " or ".join(audience)
    if isinstance(error, jwt.InvalidIssuerError):
        return "iss must be the tool's client_id"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the {error.claim} claim is missing"
    return str(error)
