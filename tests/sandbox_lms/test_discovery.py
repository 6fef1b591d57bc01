"""The sandbox LMS: discovery (OpenID configuration) and the platform's signing keys.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient

from sandbox_lms import claims as lti
from sandbox_lms import create_sandbox_app, sandbox_private_key_pem, session_scope
from sandbox_lms.store import get_course

from .support import ADA, BASE, BEN, INES


def test_openid_configuration_describes_the_platform(client: FlaskClient) -> None:
    config = client.get("/.well-known/openid-configuration").get_json()
    assert config["issuer"] == BASE
    assert config["authorization_endpoint"] == f"{BASE}/auth"
    assert config["registration_endpoint"] == f"{BASE}/register"
    assert config["jwks_uri"] == f"{BASE}/jwks.json"
    assert config["token_endpoint"] == f"{BASE}/token"
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS256"]
    assert set(lti.SUPPORTED_SCOPES) <= set(config["scopes_supported"])
    assert config["response_types_supported"] == ["id_token"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"iss", "sub", "aud", "nonce", "name", "email"} <= set(config["claims_supported"])
    assert config["subject_types_supported"] == ["public", "pairwise"]
    platform = config[lti.PLATFORM_CONFIGURATION]
    assert platform["product_family_code"] == "skarp-sandbox" and platform["version"]
    assert [m["type"] for m in platform["messages_supported"]] == [
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    ]


def test_jwks_publishes_an_rs256_key_whose_kid_is_its_rfc7638_thumbprint(
    app: Flask, client: FlaskClient
) -> None:
    from jwcrypto import jwk

    [key] = client.get("/jwks.json").get_json()["keys"]
    assert set(key) == {"kty", "n", "e", "kid", "alg", "use"}
    assert (key["kty"], key["alg"], key["use"], key["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert key["kid"] == jwk.JWK(**key).thumbprint()
    private = serialization.load_pem_private_key(sandbox_private_key_pem(app).encode(), None)
    assert private.key_size == 2048  # type: ignore[union-attr]


def test_the_signing_key_and_seed_survive_a_restart(tmp_path: Path) -> None:
    config = {"SANDBOX_BASE_URL": BASE, "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'again.db'}"}
    first = create_sandbox_app(config).test_client().get("/jwks.json").get_json()
    again = create_sandbox_app(config)
    assert again.test_client().get("/jwks.json").get_json() == first
    with session_scope(again) as session:
        course = get_course(session)
        assert course is not None and course.title == "ITIL 4 Foundation"
        assert [(m.user.sub, m.roles) for m in course.memberships] == [
            (ADA, ["Learner"]),
            (BEN, ["Learner"]),
            (INES, ["Instructor"]),
        ]
