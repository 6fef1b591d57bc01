"""Every launch the tool must refuse, over real HTTP against the sandbox LMS.

The 1EdTech certification's "known bad" id_tokens, plus the attacks a tool meets in practice (forged,
replayed, confused or misdirected tokens, lost cookies). Each refusal must be a 4xx error page that tells
an LMS admin what is wrong, and must leave nothing behind: no launch record, no attempt, no session cookie.
A positive control proves the same harness lets a good launch through, so the refusals are not vacuous.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import lxml.html
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from lti_app.adapters.orm import Attempt, LaunchRecord
from sandbox_lms import PlatformKey, launch_claims, session_scope, sign_id_token, state
from sandbox_lms.keys import PlatformKeyPair, generate_private_pem

from .lti_harness import LEARNER, Lms, query_of, start_lms

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEEWAY = 60  # the tool's default LTI_CLOCK_LEEWAY_SECONDS
Claims = dict[str, Any]
TokenFactory = Callable[[Lms, Claims], str]


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[Lms]:
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        running.add_link("diagnostic")
        yield running


@pytest.fixture
def fresh_lms(tmp_path_factory) -> Iterator[Lms]:
    """A platform of its own: the JWKS tests rotate its key and spend its once-a-minute refetch."""
    with start_lms(tmp_path_factory.mktemp("lms-keys")) as running:
        running.add_link("diagnostic")
        yield running


# --- helpers ---------------------------------------------------------------------------------------------


def counts(lms: Lms) -> tuple[int, int]:
    """(launch records, attempts) in the tool's database, read fresh."""
    session = lms.db()
    session.expire_all()
    launches = session.scalar(select(func.count()).select_from(LaunchRecord))
    attempts = session.scalar(select(func.count()).select_from(Attempt))
    session.close()
    return launches, attempts


def error_text(response: requests.Response) -> str:
    """The error page's notice (title and detail) as a reader sees it, entities decoded."""
    document = lxml.html.fromstring(response.text)
    notices = document.xpath("//div[contains(@class, 'notice') and contains(@class, 'error')]")
    assert notices, f"not the tool's error page:\n{response.text[:2000]}"
    return " ".join(notices[0].text_content().split())


def set_cookies(response: requests.Response) -> list[str]:
    return response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []


def assert_refused(
    lms: Lms, response: requests.Response, before: tuple[int, int], status: int, fragment: str
) -> None:
    assert response.status_code == status, (response.status_code, response.text[:2000])
    assert fragment in error_text(response)
    assert counts(lms) == before, "a refused launch left a launch record or an attempt behind"
    assert set_cookies(response) == [], "a refused launch starts no session of any kind"


def start_login(lms: Lms, browser: requests.Session | None = None) -> tuple[requests.Session, dict, Claims]:
    """A learner's login initiation: the browser (with the login's cookies), state/nonce, valid claims."""
    browser = browser or lms.browser()
    redirect = lms.login_redirect(browser, LEARNER, lms.links["diagnostic"])
    q = query_of(redirect.headers["Location"])
    claims = launch_claims(lms.sandbox_app, lms.client_id, LEARNER, lms.links["diagnostic"], q["nonce"])
    return browser, q, claims


def post_launch(lms: Lms, browser: requests.Session, data: dict[str, str]) -> requests.Response:
    return browser.post(f"{lms.tool_url}/lti/launch", data=data, allow_redirects=False, timeout=10)


def assert_launched(lms: Lms, response: requests.Response) -> None:
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    assert response.headers["Location"].split("://", 1)[-1].split("/", 1)[1].startswith("a/")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --- token factories: each corrupts a valid claim set or its signature --------------------------------------


def signed(mutate: Callable[[Claims], object] | None = None, headers: dict | None = None) -> TokenFactory:
    def build(lms: Lms, claims: Claims) -> str:
        if mutate is not None:
            mutate(claims)
        return sign_id_token(lms.sandbox_app, claims, headers)

    return build


def without(*names: str) -> Callable[[Claims], None]:
    def mutate(claims: Claims) -> None:
        for name in names:
            claims.pop(name)

    return mutate


def setting(name: str, value: Any) -> Callable[[Claims], None]:
    def mutate(claims: Claims) -> None:
        claims[name] = value(claims) if callable(value) else value

    return mutate


def only_core_claims(claims: Claims) -> None:
    for name in list(claims):
        if name not in {"iss", "aud", "sub", "exp", "iat", "nonce", "azp"}:
            del claims[name]


def without_resource_link_id(claims: Claims) -> None:
    del claims[LTI + "resource_link"]["id"]


def literal(token: str) -> TokenFactory:
    return lambda lms, claims: token


def signed_by_another_key(lms: Lms, claims: Claims) -> str:
    """A forger's own RSA key, claiming the platform's kid."""
    forged = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return sign_id_token(forged, claims, {"kid": state(lms.sandbox_app).key.kid})


def unsigned_alg_none(lms: Lms, claims: Claims) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": state(lms.sandbox_app).key.kid}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


def hs256_with_public_key(lms: Lms, claims: Claims) -> str:
    """Algorithm confusion: an HMAC keyed with the platform's public key, which anyone can fetch."""
    public_pem = (
        state(lms.sandbox_app)
        .key.private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": state(lms.sandbox_app).key.kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def in_seconds(offset: int) -> Callable[[Claims], int]:
    return lambda _claims: int(time.time()) + offset


def expired(seconds_ago: int) -> Callable[[Claims], None]:
    def mutate(claims: Claims) -> None:
        claims["exp"] = int(time.time()) - seconds_ago
        claims["iat"] = claims["exp"] - 300

    return mutate


def two_audiences(lms: Lms, claims: Claims) -> str:
    claims["aud"] = [lms.client_id, "another-tool"]
    del claims["azp"]
    return sign_id_token(lms.sandbox_app, claims)


def azp_of_another_tool(lms: Lms, claims: Claims) -> str:
    claims["azp"] = "another-tool"
    return sign_id_token(lms.sandbox_app, claims)


# (factory, status, a fragment of the error page's notice)
REFUSED = [
    # 1EdTech certification "known bad" payloads
    pytest.param(signed(headers={"kid": None}), 400, "id_token header has no kid", id="no-kid"),
    pytest.param(
        signed(headers={"kid": "not-a-key-of-this-platform"}),
        400,
        "no key with kid 'not-a-key-of-this-platform'",
        id="unknown-kid",
    ),
    pytest.param(
        signed(setting(LTI + "version", "1.2.0")),
        400,
        "version claim is '1.2.0', expected '1.3.0'",
        id="version-1.2",
    ),
    pytest.param(signed(without(LTI + "version")), 400, "version claim is None", id="no-version"),
    pytest.param(literal("abc.def"), 400, "JWT must contain 3 parts", id="not-a-jwt-2-parts"),
    pytest.param(literal("not-a-jwt"), 400, "JWT must contain 3 parts", id="not-a-jwt-1-part"),
    pytest.param(signed(only_core_claims), 400, "no deployment_id claim", id="no-lti-claims"),
    pytest.param(signed(expired(LEEWAY + 60)), 400, "Signature has expired", id="exp-past-beyond-leeway"),
    pytest.param(
        signed(setting("iat", in_seconds(2 * LEEWAY))),
        400,
        "The token is not yet valid (iat)",
        id="iat-future-beyond-leeway",
    ),
    pytest.param(
        signed(without(LTI + "message_type")), 400, "message_type claim is missing", id="no-message-type"
    ),
    pytest.param(signed(without(LTI + "roles")), 400, "roles claim is missing", id="no-roles"),
    pytest.param(
        signed(without(LTI + "deployment_id")), 400, "no deployment_id claim", id="no-deployment-id"
    ),
    pytest.param(
        signed(without_resource_link_id), 400, "resource_link.id is missing", id="no-resource-link-id"
    ),
    pytest.param(signed(without("sub")), 400, "sub (the user) is missing", id="no-sub"),
    # forged and confused tokens
    pytest.param(signed_by_another_key, 400, "Signature verification failed", id="bad-signature"),
    pytest.param(unsigned_alg_none, 400, "id_token alg 'none': only RS256 is accepted", id="alg-none"),
    pytest.param(
        hs256_with_public_key, 400, "id_token alg 'HS256': only RS256 is accepted", id="hs256-public-key"
    ),
    pytest.param(
        signed(setting("iss", "https://evil.example")),
        403,
        "no registration for issuer https://evil.example",
        id="wrong-iss",
    ),
    pytest.param(
        signed(lambda claims: claims.update(aud="another-tool", azp="another-tool")),
        403,
        "client_id another-tool",
        id="wrong-aud",
    ),
    pytest.param(two_audiences, 400, "several audiences but no azp", id="aud-list-without-azp"),
    pytest.param(
        azp_of_another_tool, 400, "azp 'another-tool' is not this tool's client_id", id="foreign-azp"
    ),
    pytest.param(signed(without("exp")), 400, 'missing the "exp" claim', id="no-exp"),
    pytest.param(signed(without("iat")), 400, 'missing the "iat" claim', id="no-iat"),
    pytest.param(signed(without("nonce")), 400, 'missing the "nonce" claim', id="no-nonce"),
    pytest.param(
        signed(setting("nonce", "a-nonce-the-tool-never-issued")),
        400,
        "the nonce is unknown or was already used",
        id="nonce-never-issued",
    ),
    # what the token asks the tool to do
    pytest.param(
        signed(setting(LTI + "deployment_id", "deployment-nobody-made")),
        403,
        "deployment_id 'deployment-nobody-made'",
        id="unknown-deployment",
    ),
    pytest.param(
        signed(without(LTI + "target_link_uri")),
        400,
        "target_link_uri (missing) is not a URL",
        id="no-target",
    ),
    pytest.param(
        signed(setting(LTI + "target_link_uri", "https://evil.example/lti/launch")),
        400,
        "target_link_uri https://evil.example/lti/launch is not a URL of this tool",
        id="foreign-target",
    ),
    pytest.param(
        signed(setting(LTI + "message_type", "LtiSubmissionReviewRequest")),
        400,
        "message_type 'LtiSubmissionReviewRequest' is not supported",
        id="unsupported-message-type",
    ),
]


@pytest.mark.parametrize(("make_token", "status", "fragment"), REFUSED)
def test_bad_id_token_is_refused(lms: Lms, make_token: TokenFactory, status: int, fragment: str):
    browser, q, claims = start_login(lms)
    token = make_token(lms, claims)
    before = counts(lms)
    response = post_launch(lms, browser, {"id_token": token, "state": q["state"]})
    assert_refused(lms, response, before, status, fragment)


def test_untouched_claims_launch(lms: Lms):
    """The positive control: the same harness, the claims as the platform built them, is accepted."""
    browser, q, claims = start_login(lms)
    launches, attempts = counts(lms)
    response = post_launch(
        lms, browser, {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    )
    assert_launched(lms, response)
    assert counts(lms) == (launches + 1, attempts)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(setting("iat", in_seconds(30)), id="iat-30s-in-future"),
        pytest.param(expired(30), id="exp-30s-ago"),
    ],
)
def test_clock_drift_within_leeway_is_accepted(lms: Lms, mutate: Callable[[Claims], None]):
    browser, q, claims = start_login(lms)
    mutate(claims)
    response = post_launch(
        lms, browser, {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    )
    assert_launched(lms, response)


def test_replayed_launch_is_refused(lms: Lms):
    """The very same id_token and state, posted again after a successful launch: the nonce is spent."""
    browser, q, claims = start_login(lms)
    data = {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    assert_launched(lms, post_launch(lms, browser, data))
    before = counts(lms)
    assert_refused(
        lms, post_launch(lms, browser, data), before, 400, "the nonce is unknown or was already used"
    )


@pytest.mark.parametrize(
    ("state_of", "fragment"),
    [
        pytest.param(lambda q: {"state": "state-" + uuid.uuid4().hex}, "State not found", id="bad-state"),
        pytest.param(lambda q: {}, "Missing state param", id="missing-state"),
    ],
)
def test_bad_state_is_refused(lms: Lms, state_of: Callable[[dict], dict], fragment: str):
    browser, q, claims = start_login(lms)
    before = counts(lms)
    data = {"id_token": sign_id_token(lms.sandbox_app, claims), **state_of(q)}
    assert_refused(lms, post_launch(lms, browser, data), before, 400, fragment)


def test_launch_without_the_login_cookies_is_refused(lms: Lms):
    """A valid token and state, posted by a browser that never saw the login (or dropped its cookies)."""
    _, q, claims = start_login(lms)
    before = counts(lms)
    data = {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    response = post_launch(lms, lms.browser(), data)
    assert_refused(lms, response, before, 400, "did not send back the cookie")


def test_login_from_unknown_issuer_is_refused(lms: Lms):
    before = counts(lms)
    params = {
        "iss": "https://unknown.example",
        "login_hint": "x",
        "target_link_uri": f"{lms.tool_url}/lti/launch",
    }
    response = lms.browser().get(
        f"{lms.tool_url}/lti/login", params=params, allow_redirects=False, timeout=10
    )
    assert_refused(lms, response, before, 400, "Issuer https://unknown.example")
    assert "This LMS is not registered with Skarp" in error_text(response)


def test_login_with_foreign_target_is_refused(lms: Lms):
    before = counts(lms)
    params = {
        "iss": lms.sandbox_url,
        "login_hint": LEARNER,
        "client_id": lms.client_id,
        "target_link_uri": "https://evil.example/lti/launch",
    }
    response = lms.browser().get(
        f"{lms.tool_url}/lti/login", params=params, allow_redirects=False, timeout=10
    )
    assert_refused(
        lms,
        response,
        before,
        400,
        "target_link_uri https://evil.example/lti/launch is not a URL of this tool",
    )


# --- the platform's key set: cached, fetched again for a new kid, at most once a minute ---------------------


class JwksHits:
    """Counts GET /jwks.json on the sandbox (which does not log it) by wrapping its WSGI app."""

    def __init__(self, app) -> None:
        self.count = 0
        inner = app.wsgi_app

        def counting(environ, start_response):
            if environ.get("PATH_INFO") == "/jwks.json":
                self.count += 1
            return inner(environ, start_response)

        app.wsgi_app = counting


def rotate_platform_key(lms: Lms) -> PlatformKeyPair:
    """The sandbox signs with, and publishes, a new key only (its old key is gone from /jwks.json)."""
    pair = PlatformKeyPair.from_pem(generate_private_pem())
    with session_scope(lms.sandbox_app) as session:
        stored = session.get(PlatformKey, 1)
        stored.kid, stored.private_pem = pair.kid, pair.private_pem
    state(lms.sandbox_app).key = pair  # the in-process copy /jwks.json and sign_id_token use
    return pair


def good_launch(lms: Lms, headers: dict | None = None) -> requests.Response:
    browser, q, claims = start_login(lms)
    token = sign_id_token(lms.sandbox_app, claims, headers)
    return post_launch(lms, browser, {"id_token": token, "state": q["state"]})


def test_rotated_platform_key_is_fetched_again(fresh_lms: Lms):
    lms = fresh_lms
    hits = JwksHits(lms.sandbox_app)
    assert_launched(lms, good_launch(lms))
    assert hits.count == 1
    assert_launched(lms, good_launch(lms))
    assert hits.count == 1, "the key set is cached between launches"
    old_kid = state(lms.sandbox_app).key.kid
    assert rotate_platform_key(lms).kid != old_kid
    assert_launched(lms, good_launch(lms))
    assert hits.count == 2, "a new kid makes the tool fetch the key set again"
    assert_launched(lms, good_launch(lms))
    assert hits.count == 2


def test_unknown_kid_refetch_is_rate_limited(fresh_lms: Lms):
    lms = fresh_lms
    hits = JwksHits(lms.sandbox_app)
    assert_launched(lms, good_launch(lms))
    assert hits.count == 1
    before = counts(lms)
    assert_refused(
        lms, good_launch(lms, {"kid": "unknown-kid-1"}), before, 400, "no key with kid 'unknown-kid-1'"
    )
    assert hits.count == 2, "the first unknown kid fetches the key set again"
    assert_refused(
        lms, good_launch(lms, {"kid": "unknown-kid-2"}), before, 400, "no key with kid 'unknown-kid-2'"
    )
    assert hits.count == 2, "a second unknown kid within the minute does not fetch again"
