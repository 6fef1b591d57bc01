"""The sandbox LMS: LTI Dynamic Registration: the registration token, the tool's metadata, refusals.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from sandbox_lms import claims as lti

from .support import BASE, FakeTool, bearer


def registration_token(client: FlaskClient, registration_url: str) -> str:
    response = client.post("/registration/start", data={"registration_url": registration_url})
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["openid_configuration"] == [f"{BASE}/.well-known/openid-configuration"]
    return query["registration_token"][0]


def test_registration_start_sends_the_browser_to_the_tool_with_a_token(client: FlaskClient) -> None:
    response = client.post(
        "/registration/start", data={"registration_url": "http://localhost:5000/lti/register?x=1"}
    )
    location = urlsplit(response.headers["Location"])
    assert (location.netloc, location.path) == ("localhost:5000", "/lti/register")
    query = parse_qs(location.query)
    assert query["x"] == ["1"] and query["registration_token"][0]
    assert (
        client.post("/registration/start", data={"registration_url": "javascript:alert(1)"}).status_code
        == 400
    )


def test_dynamic_registration_happy_path(client: FlaskClient, tool: FakeTool) -> None:
    token = registration_token(client, f"{tool.url}/register")
    response = client.post("/register", json=tool.metadata(), headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.get_json()
    uuid.UUID(body["client_id"])
    assert body["initiate_login_uri"] == f"{tool.url}/login" and body["jwks_uri"] == f"{tool.url}/jwks"
    assert body[lti.TOOL_CONFIGURATION]["deployment_id"] == "deployment-1"
    assert body[lti.TOOL_CONFIGURATION]["target_link_uri"] == f"{tool.url}/launch"
    assert body["scope"].split() == list(lti.SUPPORTED_SCOPES)
    home = client.get("/").text
    assert body["client_id"] in home and "Skarp exam prep" in home


def test_registration_requires_a_valid_token_that_works_once(client: FlaskClient, tool: FakeTool) -> None:
    assert client.post("/register", json=tool.metadata()).status_code == 401
    assert client.post("/register", json=tool.metadata(), headers=bearer("made-up")).status_code == 401
    token = registration_token(client, f"{tool.url}/register")
    assert client.post("/register", json=tool.metadata(), headers=bearer(token)).status_code == 200
    reused = client.post("/register", json=tool.metadata(), headers=bearer(token))
    assert reused.status_code == 401
    assert reused.get_json()["error"] == "invalid_token"
    assert reused.headers["WWW-Authenticate"].startswith("Bearer")


def _without(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda metadata: metadata.pop(name)


def _set(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda metadata: metadata.update({name: value})


def _set_config(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda metadata: metadata[lti.TOOL_CONFIGURATION].update({name: value})


def _drop_config(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda metadata: metadata[lti.TOOL_CONFIGURATION].pop(name)


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (_set("application_type", "native"), "application_type"),
        (_set("response_types", ["code"]), "response_types"),
        (_set("grant_types", ["implicit"]), "grant_types"),
        (_without("initiate_login_uri"), "initiate_login_uri"),
        (_set("redirect_uris", []), "redirect_uris"),
        (_without("jwks_uri"), "jwks_uri"),
        (_set("token_endpoint_auth_method", "client_secret_basic"), "private_key_jwt"),
        (_without(lti.TOOL_CONFIGURATION), "lti-tool-configuration"),
        (_drop_config("domain"), "domain"),
        (_drop_config("target_link_uri"), "target_link_uri"),
        (_set_config("target_link_uri", "https://elsewhere.example/launch"), "domain"),
        (_drop_config("messages"), "messages"),
    ],
)
def test_registration_rejects_bad_metadata(
    client: FlaskClient, tool: FakeTool, mutate: Callable[[dict[str, Any]], None], problem: str
) -> None:
    metadata = tool.metadata()
    mutate(metadata)
    token = registration_token(client, f"{tool.url}/register")
    response = client.post("/register", json=metadata, headers=bearer(token))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_client_metadata"
    assert problem in body["error_description"]


def test_registration_rejects_a_body_that_is_not_json(client: FlaskClient, tool: FakeTool) -> None:
    token = registration_token(client, f"{tool.url}/register")
    response = client.post("/register", data="client_name=x", headers=bearer(token))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_client_metadata"
