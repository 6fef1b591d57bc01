"""What the sandbox LMS tests share: HTML form parsing, a fake tool (an RSA key whose JWKS a tiny werkzeug
server publishes on 127.0.0.1, so the platform's JWKS fetches are real HTTP), and the steps of a launch and
of a service call; BrowserTool, a minimal tool for the Chromium tests.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from sandbox_lms import claims as lti
from sandbox_lms.keys import rfc7638_thumbprint

BASE = "http://sandbox.test"
ALL_SCOPES = " ".join(lti.SUPPORTED_SCOPES)
ADA, BEN, INES = "learner-1", "learner-2", "instructor-1"


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
