"""The sandbox LMS: OIDC launches: login initiation, the authorization endpoint, the id_token's claims.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox_lms import claims as lti
from sandbox_lms import launch_claims, sandbox_private_key_pem, sign_id_token

from .support import (
    ADA,
    BASE,
    BEN,
    INES,
    FakeTool,
    auth_request,
    autopost_form,
    launch,
    platform_key,
    start_launch,
)


def test_login_initiation_posts_the_third_party_login_parameters(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    login = start_launch(client, client_id, ADA, link_id)
    assert login.action == f"{tool.url}/login" and login.method == "post"
    assert set(login.fields) == {
        "iss",
        "login_hint",
        "target_link_uri",
        "lti_message_hint",
        "client_id",
        "lti_deployment_id",
    }
    assert login.fields["iss"] == BASE
    assert login.fields["login_hint"] == ADA
    assert login.fields["target_link_uri"] == f"{tool.url}/launch"
    assert login.fields["client_id"] == client_id
    assert login.fields["lti_deployment_id"] == "deployment-1"
    assert len(login.fields["lti_message_hint"]) >= 32
    deep = start_launch(client, client_id, INES, "deep-link")
    assert deep.fields["target_link_uri"] == f"{tool.url}/deep-link"


def test_launch_start_in_a_frame_targets_an_iframe_with_a_continue_button(
    client: FlaskClient, client_id: str, link_id: str
) -> None:
    html = client.post(
        "/launch/start", data={"tool_id": client_id, "user_id": BEN, "resource_link_id": link_id}
    ).text
    assert autopost_form(html).target == "tool-frame"
    assert '<iframe class="tool-frame" name="tool-frame"' in html and ">Continue</button>" in html


@pytest.mark.parametrize(
    "fields",
    [
        {"user_id": "nobody"},
        {"resource_link_id": "no-such-link"},
        {"tool_id": "no-such-tool"},
        {"presentation": "popup"},
    ],
)
def test_launch_start_refuses_unknown_things(
    client: FlaskClient, client_id: str, link_id: str, fields: dict[str, str]
) -> None:
    data = {"tool_id": client_id, "user_id": ADA, "resource_link_id": link_id, **fields}
    assert client.post("/launch/start", data=data).status_code == 400


def test_auth_refuses_an_unregistered_redirect_uri_or_client(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    login = start_launch(client, client_id, ADA, link_id)
    response = client.get(
        "/auth?" + urlencode(auth_request(login, tool, redirect_uri="https://evil.example/x"))
    )
    assert response.status_code == 400 and "redirect_uri" in response.text
    assert 'name="id_token"' not in response.text
    unknown = client.get("/auth?" + urlencode(auth_request(login, tool, client_id="who")))
    assert unknown.status_code == 400 and "client_id" in unknown.text
    good = client.get("/auth?" + urlencode(auth_request(login, tool)))  # the refusals did not spend the hint
    assert good.status_code == 200 and autopost_form(good.text).fields["id_token"]


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"response_type": "code"}, "response_type"),
        ({"scope": "profile"}, "scope"),
        ({"response_mode": "query"}, "response_mode"),
        ({"prompt": "login"}, "prompt"),
        ({"nonce": None}, "nonce"),
        ({"login_hint": BEN}, "login_hint"),
        ({"lti_message_hint": "forged"}, "lti_message_hint"),
    ],
)
def test_auth_refuses_a_bad_authentication_request(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str, override: dict[str, Any], problem: str
) -> None:
    login = start_launch(client, client_id, ADA, link_id)
    response = client.post("/auth", data=auth_request(login, tool, **override))
    assert response.status_code == 400
    assert problem in response.text and 'name="id_token"' not in response.text


def test_a_message_hint_is_good_for_one_launch(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    login = start_launch(client, client_id, ADA, link_id)
    assert client.post("/auth", data=auth_request(login, tool)).status_code == 200
    again = client.post("/auth", data=auth_request(login, tool))
    assert again.status_code == 400 and "already used" in again.text


def test_resource_link_id_token_carries_every_claim(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    login = start_launch(client, client_id, ADA, link_id)
    form = autopost_form(client.post("/auth", data=auth_request(login, tool)).text)
    header = jwt.get_unverified_header(form.fields["id_token"])
    assert header == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": client.get("/jwks.json").get_json()["keys"][0]["kid"],
    }
    claims = jwt.decode(
        form.fields["id_token"], platform_key(client), algorithms=["RS256"], audience=client_id, issuer=BASE
    )
    assert claims["sub"] == ADA and claims["aud"] == client_id and claims["azp"] == client_id
    assert claims["nonce"] == "nonce-456"
    assert 295 <= claims["exp"] - claims["iat"] <= 300 and abs(claims["iat"] - time.time()) < 10
    assert (claims["name"], claims["given_name"], claims["family_name"]) == ("Ada Learner", "Ada", "Learner")
    assert claims["email"] == "ada.learner@example.edu"
    assert claims[lti.CLAIM_MESSAGE_TYPE] == "LtiResourceLinkRequest"
    assert claims[lti.CLAIM_VERSION] == "1.3.0"
    assert claims[lti.CLAIM_DEPLOYMENT_ID] == "deployment-1"
    assert claims[lti.CLAIM_TARGET_LINK_URI] == f"{tool.url}/launch"
    assert claims[lti.CLAIM_RESOURCE_LINK]["id"] == link_id
    assert claims[lti.CLAIM_RESOURCE_LINK]["title"] == "Diagnostic"
    assert claims[lti.CLAIM_ROLES] == [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
    ]
    context = claims[lti.CLAIM_CONTEXT]
    assert (context["id"], context["label"], context["title"]) == ("course-1", "ITIL4-F", "ITIL 4 Foundation")
    assert context["type"] == ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]
    platform = claims[lti.CLAIM_TOOL_PLATFORM]
    assert platform["guid"] and platform["name"] and platform["version"]
    assert platform["product_family_code"] == "skarp-sandbox"
    assert claims[lti.CLAIM_LAUNCH_PRESENTATION]["document_target"] == "window"
    assert claims[lti.CLAIM_LAUNCH_PRESENTATION]["return_url"] == f"{BASE}/launch/return"
    assert claims[lti.CLAIM_CUSTOM] == {"tool_level": "yes", "quiz": "diagnostic", "who": ADA}
    ags = claims[lti.CLAIM_AGS_ENDPOINT]
    assert ags["scope"] == list(lti.AGS_SCOPES)
    assert ags["lineitems"] == f"{BASE}/api/courses/course-1/lineitems"
    assert ags["lineitem"].startswith(ags["lineitems"] + "/")
    assert claims[lti.CLAIM_NRPS] == {
        "context_memberships_url": f"{BASE}/api/courses/course-1/memberships",
        "service_versions": ["2.0"],
    }
    assert lti.CLAIM_DL_SETTINGS not in claims


def test_deep_linking_id_token_carries_the_deep_linking_settings(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    claims = launch(client, tool, client_id, INES, "deep-link")
    assert claims[lti.CLAIM_MESSAGE_TYPE] == "LtiDeepLinkingRequest"
    assert claims[lti.CLAIM_TARGET_LINK_URI] == f"{tool.url}/deep-link"
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in claims[lti.CLAIM_ROLES]
    assert lti.CLAIM_RESOURCE_LINK not in claims
    settings = claims[lti.CLAIM_DL_SETTINGS]
    assert settings["deep_link_return_url"] == f"{BASE}/deep_link_return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is False and settings["auto_create"] is True
    assert settings["data"]
    assert "lineitem" not in claims[lti.CLAIM_AGS_ENDPOINT]
    for name in (lti.CLAIM_VERSION, lti.CLAIM_DEPLOYMENT_ID, lti.CLAIM_CONTEXT, lti.CLAIM_TOOL_PLATFORM):
        assert claims[name]


def test_token_helpers_build_and_sign_the_same_claims_as_auth(
    app: Flask, client: FlaskClient, client_id: str, link_id: str
) -> None:
    claims = launch_claims(app, client_id, ADA, link_id, "n-1")
    assert claims[lti.CLAIM_RESOURCE_LINK]["id"] == link_id and claims["nonce"] == "n-1"
    token = sign_id_token(app, claims)
    assert jwt.decode(token, platform_key(client), algorithms=["RS256"], audience=client_id)["sub"] == ADA
    assert "kid" not in jwt.get_unverified_header(sign_id_token(app, claims, {"kid": None}))
    assert jwt.get_unverified_header(sign_id_token(app, claims, {"kid": "wrong"}))["kid"] == "wrong"
    same_key = sign_id_token(sandbox_private_key_pem(app), claims)
    assert jwt.get_unverified_header(same_key) == jwt.get_unverified_header(token)
    deep = launch_claims(app, client_id, INES, None, "n-2")
    assert deep[lti.CLAIM_DL_SETTINGS]["data"]
