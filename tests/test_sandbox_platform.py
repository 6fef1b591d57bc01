"""The sandbox LMS (lti_app.sandbox) on its own: discovery, Dynamic Registration, OIDC launches, deep
linking, the token endpoint, AGS, NRPS, fault injection and the HTML pages.

A fake tool (an RSA key whose JWKS a tiny werkzeug server publishes on 127.0.0.1) plays the tool's side, so
the platform's JWKS fetches are real HTTP. The last tests run the sandbox itself on a real port and drive
it with pylti1p3, the library LTI tools commonly use, to prove the two interoperate.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from lti_app.sandbox import (
    create_sandbox_app,
    launch_claims,
    lti,
    register_tool,
    sandbox_private_key_pem,
    session_scope,
    sign_id_token,
)
from lti_app.sandbox.keys import rfc7638_thumbprint
from lti_app.sandbox.store import add_line_item, add_resource_link, get_course, get_tool

BASE = "http://sandbox.test"
ALL_SCOPES = " ".join(lti.SUPPORTED_SCOPES)
ADA, BEN, INES = "learner-1", "learner-2", "instructor-1"


# --- helpers: HTML forms, a fake tool, a sandbox -----------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    target: str | None
    autosubmit: bool
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                Form(
                    action=attributes.get("action") or "",
                    method=(attributes.get("method") or "get").lower(),
                    target=attributes.get("target"),
                    autosubmit="data-autosubmit" in attributes,
                )
            )
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1].fields[attributes["name"] or ""] = attributes.get("value") or ""


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def autopost_form(html: str) -> Form:
    [form] = [form for form in forms_in(html) if form.autosubmit]
    return form


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


@dataclass
class FakeTool:
    """The tool's side of the trust: its key, and a JWKS a real HTTP server publishes."""

    url: str
    key: rsa.RSAPrivateKey
    jwks: dict[str, Any]

    @property
    def kid(self) -> str:
        return rfc7638_thumbprint(self.key.public_key())

    @property
    def private_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @property
    def public_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def publish(self) -> None:
        self.jwks.clear()
        self.jwks["keys"] = [public_jwk(self.key, self.kid)]

    def sign(self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None, **headers: Any) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid, **headers})

    def metadata(self, **overrides: Any) -> dict[str, Any]:
        host = urlsplit(self.url).netloc
        metadata: dict[str, Any] = {
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": f"{self.url}/login",
            "redirect_uris": [f"{self.url}/launch"],
            "client_name": "Skarp exam prep",
            "jwks_uri": f"{self.url}/jwks",
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": ALL_SCOPES,
            lti.TOOL_CONFIGURATION: {
                "domain": host,
                "target_link_uri": f"{self.url}/launch",
                "custom_parameters": {"tool_level": "yes"},
                "claims": ["iss", "sub", "name", "email"],
                "messages": [
                    {
                        "type": "LtiDeepLinkingRequest",
                        "target_link_uri": f"{self.url}/deep-link",
                        "label": "Add",
                    }
                ],
            },
        }
        metadata.update(overrides)
        return metadata


class _LazyWSGI:
    """Lets a server bind its port before the app that needs to know that port exists."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


def serve_in_thread(app: Callable[..., Any]) -> tuple[BaseWSGIServer, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def tool_server() -> Iterator[tuple[str, dict[str, Any]]]:
    jwks: dict[str, Any] = {"keys": []}

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/jwks":
            return Response(json.dumps(jwks), mimetype="application/json")
        return Response("not found", status=404)

    server, url = serve_in_thread(app)
    yield url, jwks
    server.shutdown()


@pytest.fixture
def tool(tool_server: tuple[str, dict[str, Any]]) -> FakeTool:
    url, jwks = tool_server
    fake = FakeTool(url=url, key=new_rsa_key(), jwks=jwks)
    fake.publish()
    return fake


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_sandbox_app(
        {
            "SANDBOX_BASE_URL": BASE,
            "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}",
            "TESTING": True,
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def client_id(app: Flask, tool: FakeTool) -> str:
    """A tool registered directly (the same code path as POST /register)."""
    with session_scope(app) as session:
        return register_tool(session, tool.metadata()).client_id


@pytest.fixture
def link_id(app: Flask, client_id: str) -> str:
    """A resource link with custom parameters and a line item out of 20 points."""
    with session_scope(app) as session:
        tool_row, course = get_tool(session, client_id), get_course(session)
        assert tool_row is not None and course is not None
        link = add_resource_link(
            session, tool_row, course, "Diagnostic", custom={"quiz": "diagnostic", "who": "$User.id"}
        )
        add_line_item(session, tool_row, course, label="Diagnostic", score_maximum=20, resource_link=link)
        return link.link_id


def platform_key(client: FlaskClient) -> Any:
    return jwt.PyJWK(client.get("/jwks.json").get_json()["keys"][0]).key


def start_launch(
    client: FlaskClient, client_id: str, user: str, target: str, presentation: str = "window"
) -> Form:
    response = client.post(
        "/launch/start",
        data={
            "tool_id": client_id,
            "user_id": user,
            "resource_link_id": target,
            "presentation": presentation,
        },
    )
    assert response.status_code == 200, response.text
    return autopost_form(response.text)


def auth_request(login: Form, tool: FakeTool, **overrides: str) -> dict[str, str]:
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": login.fields["client_id"],
        "redirect_uri": f"{tool.url}/launch",
        "login_hint": login.fields["login_hint"],
        "lti_message_hint": login.fields["lti_message_hint"],
        "state": "state-123",
        "nonce": "nonce-456",
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def launch(client: FlaskClient, tool: FakeTool, client_id: str, user: str, target: str) -> dict[str, Any]:
    """A whole launch; returns the id_token's claims, verified with the platform's published key."""
    login = start_launch(client, client_id, user, target)
    response = client.post("/auth", data=auth_request(login, tool))
    assert response.status_code == 200, response.text
    form = autopost_form(response.text)
    assert form.action == f"{tool.url}/launch" and form.fields["state"] == "state-123"
    return jwt.decode(
        form.fields["id_token"], platform_key(client), algorithms=["RS256"], audience=client_id, issuer=BASE
    )


def client_assertion(tool: FakeTool, client_id: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{BASE}/token",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return tool.sign({name: value for name, value in claims.items() if value is not None})


def token_request(client: FlaskClient, assertion: str, scope: str = ALL_SCOPES) -> Any:
    return client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": lti.CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": scope,
        },
    )


def access_token(client: FlaskClient, tool: FakeTool, client_id: str, scope: str = ALL_SCOPES) -> str:
    response = token_request(client, client_assertion(tool, client_id), scope)
    assert response.status_code == 200, response.text
    return response.get_json()["access_token"]


def bearer(token: str, content_type: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def lineitems_path(context: str = "course-1") -> str:
    return f"/api/courses/{context}/lineitems"


def local(url: str) -> str:
    """A platform URL as the test client requests it (the path and query, without the issuer)."""
    assert url.startswith(BASE), url
    return url[len(BASE) :]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def score(user: str, given: float | None, moment: datetime, **extra: Any) -> dict[str, Any]:
    body = {
        "userId": user,
        "scoreGiven": given,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": iso(moment),
    }
    body.update(extra)
    return {name: value for name, value in body.items() if value is not None}


# --- discovery and keys ------------------------------------------------------------------------------


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


# --- Dynamic Registration ----------------------------------------------------------------------------


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


# --- launches ----------------------------------------------------------------------------------------


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


# --- token endpoint ----------------------------------------------------------------------------------


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


# --- AGS ---------------------------------------------------------------------------------------------


def create_line_item(client: FlaskClient, token: str, **fields: Any) -> dict[str, Any]:
    body = {"label": "Mock exam", "scoreMaximum": 40, "tag": "mock", "resourceId": "mock-exam", **fields}
    response = client.post(lineitems_path(), json=body, headers=bearer(token, lti.MEDIA_LINEITEM))
    assert response.status_code == 201, response.text
    assert response.mimetype == lti.MEDIA_LINEITEM
    return response.get_json()


def test_line_items_create_list_filter_update_delete(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    token = access_token(client, tool, client_id)
    item = create_line_item(client, token, resourceLinkId=link_id)
    assert item["id"].startswith(f"{BASE}/api/courses/course-1/lineitems/")
    assert (item["label"], item["scoreMaximum"], item["resourceLinkId"]) == ("Mock exam", 40, link_id)
    listing = client.get(lineitems_path(), headers=bearer(token))
    assert listing.mimetype == lti.MEDIA_LINEITEM_CONTAINER
    assert [i["label"] for i in listing.get_json()] == ["Diagnostic", "Mock exam"]
    for query, labels in [
        ("tag=mock", ["Mock exam"]),
        ("resource_id=none", []),
        (f"resource_link_id={link_id}", None),
    ]:
        found = [
            i["label"] for i in client.get(f"{lineitems_path()}?{query}", headers=bearer(token)).get_json()
        ]
        assert found == (labels if labels is not None else ["Diagnostic", "Mock exam"])
    paged = client.get(f"{lineitems_path()}?limit=1", headers=bearer(token))
    assert len(paged.get_json()) == 1 and 'rel="next"' in paged.headers["Link"]
    path = local(item["id"])
    assert client.get(path, headers=bearer(token)).get_json() == item
    updated = client.put(
        path, json={**item, "label": "Mock exam (v2)"}, headers=bearer(token, lti.MEDIA_LINEITEM)
    )
    assert updated.status_code == 200 and updated.get_json()["label"] == "Mock exam (v2)"
    assert client.delete(path, headers=bearer(token)).status_code == 204
    assert client.get(path, headers=bearer(token)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"scoreMaximum": 10},
        {"label": "x", "scoreMaximum": 0},
        {"label": "x", "scoreMaximum": True},
        {"label": "x"},
    ],
)
def test_line_item_creation_validates(
    client: FlaskClient, tool: FakeTool, client_id: str, body: dict
) -> None:
    token = access_token(client, tool, client_id)
    assert (
        client.post(lineitems_path(), json=body, headers=bearer(token, lti.MEDIA_LINEITEM)).status_code == 400
    )
    plain_json = client.post(lineitems_path(), json={"label": "x", "scoreMaximum": 1}, headers=bearer(token))
    assert plain_json.status_code == 415


def test_services_need_a_token_with_the_right_scope(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    assert client.get(lineitems_path()).status_code == 401
    assert client.get(lineitems_path(), headers=bearer("nonsense")).status_code == 401
    assert client.get("/api/courses/course-1/memberships").status_code == 401
    readonly = access_token(client, tool, client_id, lti.SCOPE_LINEITEM_READONLY)
    assert client.get(lineitems_path(), headers=bearer(readonly)).status_code == 200
    forbidden = client.post(lineitems_path(), json={}, headers=bearer(readonly, lti.MEDIA_LINEITEM))
    assert forbidden.status_code == 403 and forbidden.get_json()["error"] == "insufficient_scope"
    assert client.get("/api/courses/course-1/memberships", headers=bearer(readonly)).status_code == 403
    assert client.get(lineitems_path("course-9"), headers=bearer(readonly)).status_code == 404


def test_scores_results_and_the_whole_second_timestamp_rule(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    token = access_token(client, tool, client_id)
    item = create_line_item(client, token, scoreMaximum=40)
    scores_path, headers = local(item["id"]) + "/scores", bearer(token, lti.MEDIA_SCORE)
    first = datetime(2030, 1, 1, 12, 0, 0, 100000, tzinfo=UTC)
    assert client.post(scores_path, json=score(ADA, 5, first), headers=headers).status_code == 204
    same_second = client.post(
        scores_path, json=score(ADA, 6, first + timedelta(milliseconds=800)), headers=headers
    )
    assert same_second.status_code == 409
    earlier = client.post(scores_path, json=score(ADA, 6, first - timedelta(seconds=5)), headers=headers)
    assert earlier.status_code == 409
    later = score(ADA, 8, first + timedelta(seconds=1), comment="Well done")
    assert client.post(scores_path, json=later, headers=headers).status_code == 204
    other_zone = (first + timedelta(seconds=2)).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert (
        client.post(
            scores_path,
            json=score(
                BEN, None, first, timestamp=other_zone, gradingProgress="Pending", activityProgress="Started"
            ),
            headers=headers,
        ).status_code
        == 204
    )
    results = client.get(local(item["id"]) + "/results", headers=bearer(token))
    assert results.mimetype == lti.MEDIA_RESULT_CONTAINER
    by_user = {r["userId"]: r for r in results.get_json()}
    assert by_user[ADA]["resultScore"] == 32 and by_user[ADA]["resultMaximum"] == 40
    assert by_user[ADA]["comment"] == "Well done" and by_user[ADA]["scoreOf"] == item["id"]
    assert "resultScore" not in by_user[BEN]
    only_ben = client.get(local(item["id"]) + f"/results?user_id={BEN}", headers=bearer(token)).get_json()
    assert [r["userId"] for r in only_ben] == [BEN]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"userId": "stranger"}, 400),
        ({"scoreGiven": 11}, 400),
        ({"scoreGiven": -1}, 400),
        ({"scoreMaximum": None}, 400),
        ({"activityProgress": "Done"}, 400),
        ({"gradingProgress": "Graded"}, 400),
        ({"timestamp": "2030-01-01T12:00:00"}, 400),
        ({"timestamp": "yesterday"}, 400),
    ],
)
def test_scores_are_validated(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str, change: dict, status: int
) -> None:
    token = access_token(client, tool, client_id)
    [item] = client.get(lineitems_path(), headers=bearer(token)).get_json()
    body = {**score(ADA, 7, datetime.now(UTC)), **change}
    body = {name: value for name, value in body.items() if value is not None}
    response = client.post(local(item["id"]) + "/scores", json=body, headers=bearer(token, lti.MEDIA_SCORE))
    assert response.status_code == status, response.text
    wrong_type = client.post(
        local(item["id"]) + "/scores", json=score(ADA, 7, datetime.now(UTC)), headers=bearer(token)
    )
    assert wrong_type.status_code == 415
    score_only = access_token(client, tool, client_id, lti.SCOPE_LINEITEM)
    refused = client.post(
        local(item["id"]) + "/scores",
        json=score(ADA, 7, datetime.now(UTC)),
        headers=bearer(score_only, lti.MEDIA_SCORE),
    )
    assert refused.status_code == 403


def test_a_tool_cannot_see_another_tools_line_items(
    app: Flask, client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    with session_scope(app) as session:
        other = register_tool(session, tool.metadata()).client_id
    mine = client.get(lineitems_path(), headers=bearer(access_token(client, tool, client_id))).get_json()
    theirs = bearer(access_token(client, tool, other))
    assert client.get(lineitems_path(), headers=theirs).get_json() == []
    assert client.get(local(mine[0]["id"]), headers=theirs).status_code == 404


# --- NRPS --------------------------------------------------------------------------------------------


def test_memberships_list_the_course(client: FlaskClient, tool: FakeTool, client_id: str) -> None:
    token = access_token(client, tool, client_id, lti.SCOPE_NRPS)
    response = client.get("/api/courses/course-1/memberships", headers=bearer(token))
    assert response.status_code == 200 and response.mimetype == lti.MEDIA_MEMBERSHIP_CONTAINER
    body = response.get_json()
    assert body["context"] == {"id": "course-1", "label": "ITIL4-F", "title": "ITIL 4 Foundation"}
    assert body["id"] == f"{BASE}/api/courses/course-1/memberships"
    members = {m["user_id"]: m for m in body["members"]}
    assert set(members) == {ADA, BEN, INES}
    assert members[ADA] == {
        "status": "Active",
        "user_id": ADA,
        "name": "Ada Learner",
        "given_name": "Ada",
        "family_name": "Learner",
        "email": "ada.learner@example.edu",
        "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
    }
    learners = client.get("/api/courses/course-1/memberships?role=Learner", headers=bearer(token)).get_json()
    assert {m["user_id"] for m in learners["members"]} == {ADA, BEN}
    page = client.get("/api/courses/course-1/memberships?limit=2", headers=bearer(token))
    assert len(page.get_json()["members"]) == 2
    next_url = page.headers["Link"].split('>; rel="next"')[0].rsplit("<", 1)[1]
    rest = client.get(local(next_url), headers=bearer(token)).get_json()["members"]
    assert [m["user_id"] for m in rest] == [INES]


# --- deep linking return -----------------------------------------------------------------------------


def deep_link_response(
    tool: FakeTool, client_id: str, data: str | None, items: list[dict], **overrides: Any
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "aud": BASE,
        "iat": now,
        "exp": now + 300,
        "nonce": str(uuid.uuid4()),
        lti.CLAIM_MESSAGE_TYPE: "LtiDeepLinkingResponse",
        lti.CLAIM_VERSION: "1.3.0",
        lti.CLAIM_DEPLOYMENT_ID: "deployment-1",
        lti.CLAIM_DL_CONTENT_ITEMS: items,
        lti.CLAIM_DL_DATA: data,
        lti.CLAIM_DL_MSG: "Added the <b>mock exam</b>",
    }
    claims.update(overrides)
    return tool.sign({name: value for name, value in claims.items() if value is not None})


MOCK_EXAM_ITEM = {
    "type": "ltiResourceLink",
    "title": "Mock exam",
    "text": "20 questions, 30 minutes",
    "custom": {"quiz": "mock"},
    "lineItem": {"scoreMaximum": 20, "label": "Mock exam score", "resourceId": "mock", "tag": "exam"},
}


def test_deep_link_return_creates_a_resource_link_and_line_item(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    data = launch(client, tool, client_id, INES, "deep-link")[lti.CLAIM_DL_SETTINGS]["data"]
    item = {**MOCK_EXAM_ITEM, "url": f"{tool.url}/launch?quiz=mock"}
    response = client.post(
        "/deep_link_return", data={"JWT": deep_link_response(tool, client_id, data, [item])}
    )
    assert response.status_code == 200, response.text
    assert "Mock exam" in response.text and "Added the &lt;b&gt;mock exam&lt;/b&gt;" in response.text
    state = client.get("/sandbox/state").get_json()
    [link] = state["tools"][0]["resource_links"]
    assert (link["title"], link["url"], link["custom"]) == (
        "Mock exam",
        f"{tool.url}/launch?quiz=mock",
        {"quiz": "mock"},
    )
    [line_item] = state["line_items"]
    assert (line_item["label"], line_item["scoreMaximum"], line_item["resourceLinkId"]) == (
        "Mock exam score",
        20,
        link["id"],
    )
    claims = launch(client, tool, client_id, ADA, link["id"])
    assert claims[lti.CLAIM_TARGET_LINK_URI] == f"{tool.url}/launch?quiz=mock"
    assert claims[lti.CLAIM_AGS_ENDPOINT]["lineitem"] == line_item["id"]
    assert claims[lti.CLAIM_CUSTOM]["quiz"] == "mock"
    again = client.post("/deep_link_return", data={"JWT": deep_link_response(tool, client_id, data, [item])})
    assert again.status_code == 400 and "already answered" in again.text


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda t, c, d: t.sign({"iss": c}, key=new_rsa_key()), "signature"),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], aud="https://other.example"),
            "aud must be",
        ),
        (lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], exp=int(time.time()) - 60), "expired"),
        (lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], nonce=None), "nonce"),
        (lambda t, c, d: deep_link_response(t, c, None, [MOCK_EXAM_ITEM]), "data"),
        (lambda t, c, d: deep_link_response(t, c, "forged", [MOCK_EXAM_ITEM]), "data"),
        (lambda t, c, d: deep_link_response(t, "stranger", d, [MOCK_EXAM_ITEM]), "iss"),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], **{lti.CLAIM_MESSAGE_TYPE: "Nope"}),
            "message_type",
        ),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], **{lti.CLAIM_VERSION: "1.1"}),
            "version",
        ),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], **{lti.CLAIM_DEPLOYMENT_ID: "x"}),
            "deployment_id",
        ),
        (lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM, MOCK_EXAM_ITEM]), "accept_multiple"),
        (
            lambda t, c, d: deep_link_response(t, c, d, [{"type": "file", "url": "http://x/y"}]),
            "not accepted",
        ),
        (
            lambda t, c, d: deep_link_response(
                t, c, d, [{**MOCK_EXAM_ITEM, "lineItem": {"scoreMaximum": 0}}]
            ),
            "scoreMaximum",
        ),
        (lambda t, c, d: jwt.encode({"iss": c}, "s" * 32, algorithm="HS256"), "RS256"),
        (lambda t, c, d: "not.a.jwt", "JWT"),
    ],
)
def test_deep_link_return_refuses_bad_responses(
    client: FlaskClient,
    tool: FakeTool,
    client_id: str,
    tamper: Callable[[FakeTool, str, str], str],
    problem: str,
) -> None:
    data = launch(client, tool, client_id, INES, "deep-link")[lti.CLAIM_DL_SETTINGS]["data"]
    response = client.post("/deep_link_return", data={"JWT": tamper(tool, client_id, data)})
    assert response.status_code == 400
    assert problem in response.text
    assert client.get("/sandbox/state").get_json()["line_items"] == []
    assert client.post("/deep_link_return", data={}).status_code == 400


# --- fault injection and the request log -------------------------------------------------------------


def test_faults_fail_the_next_n_requests_then_recover(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    token = access_token(client, tool, client_id)
    assert client.post("/sandbox/faults", json={"mode": "error500", "count": 2}).status_code == 200
    assert [client.get(lineitems_path(), headers=bearer(token)).status_code for _ in range(3)] == [
        500,
        500,
        200,
    ]
    client.post("/sandbox/faults", json={"mode": "rate_limit", "count": 1, "retry_after": 7})
    limited = token_request(client, client_assertion(tool, client_id))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert token_request(client, client_assertion(tool, client_id)).status_code == 200
    client.post("/sandbox/faults", json={"mode": "reject400", "count": 1, "target": "nrps"})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200  # not the target
    assert client.get("/api/courses/course-1/memberships", headers=bearer(token)).status_code == 400
    assert client.get("/api/courses/course-1/memberships", headers=bearer(token)).status_code == 200
    log = client.get("/sandbox/requests").get_json()
    assert [(r["status"], r["fault"]) for r in log["requests"] if r["fault"]] == [
        (500, "error500"),
        (500, "error500"),
        (429, "rate_limit"),
        (400, "reject400"),
    ]
    assert log["counts"]["token"] == 3 and all(
        r["time"] and r["method"] and r["path"] for r in log["requests"]
    )
    assert client.delete("/sandbox/requests").status_code == 204
    assert client.get("/sandbox/requests").get_json()["requests"] == []


def test_faults_for_a_time_window_and_timeouts(client: FlaskClient, tool: FakeTool, client_id: str) -> None:
    token = access_token(client, tool, client_id)
    client.post("/sandbox/faults", json={"mode": "error500", "seconds": 0.3})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 500
    time.sleep(0.4)
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200
    client.post("/sandbox/faults", json={"mode": "timeout", "count": 1, "delay": 0.3})
    started = time.perf_counter()
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200
    assert time.perf_counter() - started >= 0.3
    client.post("/sandbox/faults", json={"mode": "error500"})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 500
    client.post("/sandbox/faults", json={"mode": "none"})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200
    assert client.get("/sandbox/faults").get_json()["mode"] == "none"
    assert client.post("/sandbox/faults", json={"mode": "explode"}).status_code == 400
    assert client.post("/sandbox/faults", json={"mode": "error500", "count": 0}).status_code == 400


# --- HTML pages --------------------------------------------------------------------------------------


def test_home_page_lists_tools_links_and_launch_buttons(
    client: FlaskClient, app: Flask, tool: FakeTool, client_id: str, link_id: str
) -> None:
    with session_scope(app) as session:
        register_tool(session, tool.metadata(client_name="<script>alert(1)</script>"))
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for label in ("Launch as Ada Learner", "Launch as Ben Learner", "Launch as Ines Instructor"):
        assert label in html
    assert "Add an activity (deep linking) as Ines Instructor" in html
    assert '<label for="registration_url">' in html and 'target="registration"' in html
    assert 'href="/gradebook"' in html
    launch_forms = [form for form in forms_in(html) if form.action == "/launch/start"]
    assert all(form.method == "post" for form in launch_forms)
    assert {form.fields.get("resource_link_id") for form in launch_forms} == {link_id, "deep-link"}


def test_adding_an_activity_by_hand(client: FlaskClient, app: Flask, client_id: str) -> None:
    with session_scope(app) as session:
        tool_id = get_tool(session, client_id).id  # type: ignore[union-attr]
    response = client.post(
        f"/tools/{tool_id}/resource_links",
        data={"title": "Practice", "custom": "mode=practice", "score_maximum": "5"},
    )
    assert response.status_code == 303
    [link] = client.get("/sandbox/state").get_json()["tools"][0]["resource_links"]
    assert (
        link["title"] == "Practice"
        and link["custom"] == {"mode": "practice"}
        and len(link["line_items"]) == 1
    )
    assert client.post(f"/tools/{tool_id}/resource_links", data={"title": ""}).status_code == 400


def test_gradebook_shows_results_and_score_counts(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    token = access_token(client, tool, client_id)
    [item] = client.get(lineitems_path(), headers=bearer(token)).get_json()
    moment = datetime.now(UTC)
    headers = bearer(token, lti.MEDIA_SCORE)
    client.post(
        local(item["id"]) + "/scores", json=score(ADA, 7.5, moment, comment="<i>ok</i>"), headers=headers
    )
    client.post(
        local(item["id"]) + "/scores", json=score(ADA, 9, moment), headers=headers
    )  # 409, still counted
    html = client.get("/gradebook").text
    assert "<caption>" in html and "Ada Learner" in html and "Ben Learner" in html
    assert "Ines Instructor" not in html
    assert "15.0 / 20.0" in html
    assert "2 score POSTs received" in html and "1 score accepted" in html
    assert "&lt;i&gt;ok&lt;/i&gt;" in html


def test_launch_return_page_escapes_tool_messages(client: FlaskClient) -> None:
    html = client.get("/launch/return?lti_errormsg=<b>boom</b>&lti_msg=done").text
    assert "&lt;b&gt;boom&lt;/b&gt;" in html and "done" in html


# --- over real HTTP: dropped connections, and pylti1p3 as the tool -----------------------------------


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    lazy = _LazyWSGI()
    server, url = serve_in_thread(lazy)
    app = create_sandbox_app(
        {"SANDBOX_BASE_URL": url, "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}"}
    )
    lazy.app = app
    yield app, url
    server.shutdown()


def test_drop_fault_closes_the_connection_without_a_response(live: tuple[Flask, str]) -> None:
    _, url = live
    requests.post(f"{url}/sandbox/faults", json={"mode": "drop", "count": 1}, timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{url}/token", data={"grant_type": "client_credentials"}, timeout=5)
    assert requests.post(f"{url}/token", data={}, timeout=5).status_code == 400
    log = requests.get(f"{url}/sandbox/requests", timeout=5).json()["requests"]
    assert [(r["status"], r["fault"]) for r in log] == [(0, "drop"), (400, None)]


def test_pylti1p3_tool_launches_posts_a_grade_and_reads_members(
    live: tuple[Flask, str], tool: FakeTool
) -> None:
    """The interoperability check: pylti1p3 validates the sandbox's launch and uses its services."""
    from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
    from pylti1p3.grade import Grade
    from pylti1p3.tool_config import ToolConfDict

    app, url = live
    with session_scope(app) as session:
        registered = register_tool(session, tool.metadata())
        course = get_course(session)
        assert course is not None
        link = add_resource_link(session, registered, course, "Diagnostic")
        add_line_item(session, registered, course, label="Diagnostic", score_maximum=20, resource_link=link)
        client_id, link_id = registered.client_id, link.link_id
    conf = ToolConfDict(
        {
            url: [
                {
                    "default": True,
                    "client_id": client_id,
                    "auth_login_url": f"{url}/auth",
                    "auth_token_url": f"{url}/token",
                    "key_set_url": f"{url}/jwks.json",
                    "deployment_ids": ["deployment-1"],
                }
            ]
        }
    )
    conf.set_private_key(url, tool.private_pem, client_id=client_id)
    conf.set_public_key(url, tool.public_pem, client_id=client_id)

    tool_app = Flask("pylti1p3_tool")
    tool_app.secret_key = "test"

    @tool_app.post("/login")
    def login() -> Any:
        from flask import request

        return FlaskOIDCLogin(FlaskRequest(), conf).redirect(request.form["target_link_uri"])

    @tool_app.post("/launch")
    def tool_launch() -> Any:
        message = FlaskMessageLaunch(FlaskRequest(), conf)
        data = message.get_launch_data()
        grade = (
            Grade()
            .set_score_given(16)
            .set_score_maximum(20)
            .set_timestamp(datetime.now(UTC).isoformat())
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_user_id(data["sub"])
        )
        message.get_ags().put_grade(grade)
        members = message.get_nrps().get_members()
        return {"sub": data["sub"], "members": sorted(m["user_id"] for m in members)}

    browser = tool_app.test_client()
    start = requests.post(
        f"{url}/launch/start",
        data={"tool_id": client_id, "user_id": ADA, "resource_link_id": link_id, "presentation": "window"},
        timeout=5,
    )
    login_form = autopost_form(start.text)
    assert login_form.action == f"{tool.url}/login"
    redirect = browser.post("/login", data=login_form.fields)
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith(f"{url}/auth?")
    auth = requests.get(redirect.headers["Location"], timeout=5)
    assert auth.status_code == 200, auth.text
    id_token_form = autopost_form(auth.text)
    outcome = browser.post("/launch", data=id_token_form.fields)
    assert outcome.status_code == 200, outcome.text
    assert outcome.get_json() == {"sub": ADA, "members": sorted([ADA, BEN, INES])}
    state = requests.get(f"{url}/sandbox/state", timeout=5).json()
    assert state["line_items"][0]["results"][ADA]["resultScore"] == 16
    kinds = requests.get(f"{url}/sandbox/requests", timeout=5).json()["counts"]
    assert kinds["token"] >= 1 and kinds["ags"] == 1 and kinds["nrps"] == 1


# --- in Chromium: Dynamic Registration popup, adding an activity, a launch in the frame ---------------


@dataclass
class BrowserTool:
    """A minimal tool for the browser test: registers itself, answers the OIDC login, shows the launch."""

    key: rsa.RSAPrivateKey = field(default_factory=new_rsa_key)
    url: str = ""
    platform: dict[str, Any] = field(default_factory=dict)

    def register(self, request: Request) -> Response:
        config = requests.get(request.args["openid_configuration"], timeout=5).json()
        fake = FakeTool(url=self.url, key=self.key, jwks={})
        registration = requests.post(
            config["registration_endpoint"],
            json=fake.metadata(client_name="Browser tool"),
            headers=bearer(request.args["registration_token"]),
            timeout=5,
        ).json()
        self.platform.update(config=config, client_id=registration["client_id"])
        script = "(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');"
        return Response(f"<!doctype html><p>Registered.</p><script>{script}</script>", mimetype="text/html")

    def login(self, request: Request) -> Response:
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": request.form["client_id"],
            "redirect_uri": f"{self.url}/launch",
            "login_hint": request.form["login_hint"],
            "lti_message_hint": request.form["lti_message_hint"],
            "state": "s",
            "nonce": str(uuid.uuid4()),
        }
        return Response(
            status=302,
            headers={"Location": f"{self.platform['config']['authorization_endpoint']}?" + urlencode(params)},
        )

    def launch(self, request: Request) -> Response:
        keys = requests.get(self.platform["config"]["jwks_uri"], timeout=5).json()["keys"]
        claims = jwt.decode(
            request.form["id_token"],
            jwt.PyJWK(keys[0]).key,
            algorithms=["RS256"],
            audience=self.platform["client_id"],
        )
        target = claims[lti.CLAIM_LAUNCH_PRESENTATION]["document_target"]
        return Response(
            f"<!doctype html><h1>Launched as {claims['name']} in {target}</h1>", mimetype="text/html"
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        routes = {"/register": self.register, "/login": self.login, "/launch": self.launch}
        if request.path == "/jwks":
            response = Response(
                json.dumps({"keys": [public_jwk(self.key, rfc7638_thumbprint(self.key.public_key()))]})
            )
        else:
            response = routes[request.path](request)
        return response(environ, start_response)


@pytest.mark.browser
def test_in_chromium_register_add_an_activity_and_launch_in_the_frame(
    live: tuple[Flask, str], page: Any
) -> None:
    from playwright.sync_api import expect

    _, url = live
    browser_tool = BrowserTool()
    server, browser_tool.url = serve_in_thread(browser_tool)
    try:
        page.goto(url)
        page.get_by_label("Tool registration URL").fill(f"{browser_tool.url}/register")
        with page.expect_popup():
            page.get_by_role("button", name="Register the tool").click()
        expect(page.get_by_role("heading", name="Browser tool")).to_be_visible()  # the home page reloaded
        page.get_by_text("Add an activity by hand").click()
        page.get_by_label("Title").fill("Practice quiz")
        page.get_by_label("Maximum points").fill("10")
        page.get_by_role("button", name="Add the activity").click()
        page.get_by_role("button", name="Launch as Ada Learner").click()
        frame = page.frame_locator("iframe[name=tool-frame]")
        expect(frame.get_by_role("heading")).to_have_text("Launched as Ada Learner in iframe")
        assert page.errors == []
    finally:
        server.shutdown()
