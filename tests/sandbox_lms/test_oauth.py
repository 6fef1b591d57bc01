"""The sandbox LMS: the OAuth2 token endpoint (client_credentials with a private_key_jwt assertion).

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox_lms import claims as lti
from sandbox_lms import register_tool, session_scope

from .support import BASE, FakeTool, client_assertion, new_rsa_key, token_request


def test_token_endpoint_issues_a_bearer_token(client: FlaskClient, tool: FakeTool, client_id: str) -> None:
    response = token_request(client, client_assertion(tool, client_id), f"{lti.SCOPE_SCORE} {lti.SCOPE_NRPS}")
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == f"{lti.SCOPE_SCORE} {lti.SCOPE_NRPS}" and len(body["access_token"]) >= 32
    assert response.headers["Cache-Control"] == "no-store"
    issuer_aud = token_request(client, client_assertion(tool, client_id, aud=[BASE]))
    assert issuer_aud.status_code == 200
    log = client.get("/sandbox/requests?kind=token").get_json()
    assert log["counts"]["token"] == 2 and [r["status"] for r in log["requests"]] == [200, 200]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda t, c: t.sign(client_assertion_claims(c), key=new_rsa_key()), "invalid_client"),
        (lambda t, c: client_assertion(t, c, aud="https://other.example/token"), "invalid_client"),
        (lambda t, c: client_assertion(t, c, sub="someone-else"), "invalid_client"),
        (lambda t, c: client_assertion(t, c, iss="unknown-client", sub="unknown-client"), "invalid_client"),
        (lambda t, c: client_assertion(t, c, exp=int(time.time()) - 60), "invalid_client"),
        (lambda t, c: client_assertion(t, c, jti=None), "invalid_client"),
        (lambda t, c: t.sign(client_assertion_claims(c), kid="not-published"), "invalid_client"),
    ],
    ids=["bad-signature", "wrong-aud", "wrong-sub", "unknown-iss", "expired", "no-jti", "unknown-kid"],
)
def test_token_endpoint_refuses_bad_client_assertions(
    client: FlaskClient, tool: FakeTool, client_id: str, make: Callable[[FakeTool, str], str], error: str
) -> None:
    response = token_request(client, make(tool, client_id))
    assert response.status_code == 401
    assert response.get_json()["error"] == error


def client_assertion_claims(client_id: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{BASE}/token",
        "iat": now,
        "exp": now + 300,
        "jti": "x",
    }


def test_token_endpoint_refuses_a_replayed_jti_and_unregistered_scopes(
    client: FlaskClient, app: Flask, tool: FakeTool
) -> None:
    with session_scope(app) as session:
        score_only = register_tool(session, tool.metadata(scope=lti.SCOPE_SCORE)).client_id
    assertion = client_assertion(tool, score_only)
    assert token_request(client, assertion, lti.SCOPE_SCORE).status_code == 200
    replay = token_request(client, assertion, lti.SCOPE_SCORE)
    assert replay.status_code == 401 and "jti" in replay.get_json()["error_description"]
    unregistered = token_request(client, client_assertion(tool, score_only), lti.SCOPE_NRPS)
    assert unregistered.status_code == 400 and unregistered.get_json()["error"] == "invalid_scope"
    missing = token_request(client, client_assertion(tool, score_only), "")
    assert missing.status_code == 400 and missing.get_json()["error"] == "invalid_scope"


def test_token_endpoint_checks_the_grant_type(client: FlaskClient, tool: FakeTool, client_id: str) -> None:
    response = client.post("/token", data={"grant_type": "password", "client_assertion": "x"})
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"
    response = client.post("/token", data={"grant_type": "client_credentials", "client_assertion": "x"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
