"""Dynamic Registration only with the operator's consent, hostile OpenID configurations refused before
anything is stored, and a CSP that no stored value can break (issue 8, points 1 and 3).

New APIs (invites) are imported inside the tests that use them, so the tests that reproduce the
reported failures run, and fail, on the code before the fix. The platforms here are real HTTP servers
on 127.0.0.1 (tests/fake_platform.py) that record every connection, so "nothing was fetched" is
observed, not assumed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from lti_app.adapters.orm import Platform, utcnow
from lti_app.adapters.platform_origins import CACHE_KEY as ORIGINS_CACHE_KEY

from . import fake_platform
from .live import free_port, serve
from .lti_harness import emptied, module_tool_app

SECRET = "INTERNAL-SECRET-7f3a"  # what an internal service would answer; must never reach a page


@pytest.fixture(scope="module")
def tool_app(tmp_path_factory):
    """One tool app for the module (starting one costs seconds); each test gets it emptied."""
    with module_tool_app(tmp_path_factory.mktemp("tool"), "http://localhost:5000") as app:
        yield app


@pytest.fixture
def make_app(tool_app):
    with emptied(tool_app) as make:
        yield make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def platform():
    with fake_platform.running() as running:
        yield running


def invite_rows(app):
    from lti_app.adapters.orm import RegistrationInvite

    session = app.extensions["db_session"]()
    session.expire_all()
    return list(session.scalars(select(RegistrationInvite)))


def platforms(app) -> list[Platform]:
    session = app.extensions["db_session"]()
    session.expire_all()
    return list(session.scalars(select(Platform)))


def invite(app, **options) -> str:
    from lti_app.services.invites import create_invite

    with app.app_context():
        from lti_app.adapters.db import db

        _invite, token = create_invite(db(), **options)
    return token


def register(client, platform, token: str | None, path: str | None = None):
    data = {"openid_configuration": platform.openid_configuration, "registration_token": "reg-token"}
    return client.post(path or f"/lti/register/{token}", data=data)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- 1. only with the operator's consent ----------------------------------------------------------


def test_a_registration_without_an_invite_fetches_nothing_and_stores_nothing(app, platform):
    """The reported hole: anyone could POST /lti/register and the tool fetched and stored the platform."""
    client = app.test_client()
    response = register(client, platform, None, path="/lti/register")
    assert response.status_code == 403
    assert "platforms invite" in page_text(response)
    made_up = register(client, platform, "x" * 32)
    assert made_up.status_code == 403 and "unknown" in page_text(made_up)
    assert platform.connections == 0 and platforms(app) == []


def test_an_invite_registers_one_platform_once(app, platform):
    token = invite(app, label="Moodle at Example U")
    client = app.test_client()
    shown = client.get(
        f"/lti/register/{token}", query_string={"openid_configuration": platform.openid_configuration}
    )
    assert shown.status_code == 200 and platform.connections == 0  # showing the page fetches nothing
    done = register(client, platform, token)
    assert done.status_code == 200, page_text(done)
    (stored,) = platforms(app)
    assert (stored.issuer, stored.client_id) == (platform.url, "client-2")
    assert platform.paths() == ["/.well-known/openid-configuration", "/register"]
    assert platform.requests[0][2]["Authorization"] == "Bearer reg-token"
    again = register(client, platform, token)
    assert again.status_code == 403 and "already used" in page_text(again)
    assert len(platforms(app)) == 1 and len(platform.requests) == 2
    (row,) = invite_rows(app)
    assert row.platform_id == stored.id and row.used_at is not None


def test_an_expired_invite_is_refused(app, platform):
    token = invite(app)
    (row,) = invite_rows(app)
    row.expires_at = utcnow() - timedelta(seconds=1)
    app.extensions["db_session"]().commit()
    response = register(app.test_client(), platform, token)
    assert response.status_code == 403 and "expired" in page_text(response)
    assert platform.connections == 0 and platforms(app) == []


def test_a_failed_registration_releases_the_invite_for_another_try(app, platform):
    token = invite(app)
    platform.routes["/register"] = lambda h: fake_platform.send(h, 503, {"error": "busy"})
    failed = register(app.test_client(), platform, token)
    assert failed.status_code == 502 and "HTTP 503" in page_text(failed)
    assert platforms(app) == []
    platform.default_routes()
    assert register(app.test_client(), platform, token).status_code == 200
    assert len(platforms(app)) == 1


def test_an_invite_for_one_issuer_cannot_register_another(app, platform):
    token = invite(app, issuer="https://moodle.example.edu")
    response = register(app.test_client(), platform, token)
    assert response.status_code == 403 and "is for https://moodle.example.edu" in page_text(response)
    assert "/register" not in platform.paths() and platforms(app) == []


def test_the_invite_is_stored_only_as_a_hash(app):
    token = invite(app)
    (row,) = invite_rows(app)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash


# --- 1. the OpenID configuration is checked before anything is stored ------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("authorization_endpoint", "https://*/auth", "wildcards are not allowed"),
        ("authorization_endpoint", "https://*.example.edu/auth", "wildcards are not allowed"),
        ("authorization_endpoint", "http://moodle.example.edu/auth", "must be an https URL"),
        ("authorization_endpoint", "javascript:alert(1)", "not an absolute URL"),
        ("token_endpoint", "https://user:pw@moodle.example.edu/token", "user name or password"),
        ("jwks_uri", "https://moodle.example.edu/" + "k" * 1000, "longer than 1000"),
        ("jwks_uri", "https://exa mple.edu/keys", "spaces or control characters"),
        ("registration_endpoint", 12345, "must be a URL"),
        ("authorization_endpoint", "https://ex_ample.edu/auth", "not a valid host name"),
        ("issuer", "https://elsewhere.example.edu", "not on the site it was fetched from"),
        ("token_endpoint", None, "lacks token_endpoint"),
    ],
)
def test_a_bad_configuration_is_refused_before_anything_is_stored(app, platform, field, value, message):
    platform.config_overrides[field] = value
    response = register(app.test_client(), platform, invite(app))
    text = page_text(response)
    assert response.status_code == 400, text
    assert message in text and (field in text or field == "issuer")
    assert platform.paths() == ["/.well-known/openid-configuration"]  # the registration was never sent
    assert platforms(app) == []


def test_an_idn_endpoint_is_stored_as_ascii(app, platform):
    platform.config_overrides["authorization_endpoint"] = "https://例え.jp/auth"
    assert register(app.test_client(), platform, invite(app)).status_code == 200
    (stored,) = platforms(app)
    assert stored.auth_login_url == "https://xn--r8jz45g.jp/auth"


def test_in_production_a_plain_http_configuration_url_is_refused(make_app, platform):
    app = make_app(PRODUCTION=True)
    response = register(app.test_client(), platform, invite(app))
    assert response.status_code == 400 and "openid_configuration must be an https URL" in page_text(response)
    assert platform.connections == 0 and platforms(app) == []


@pytest.mark.parametrize("route", ["/register", "/.well-known/openid-configuration"])
def test_a_remote_answer_is_never_shown_on_a_page(app, platform, route):
    platform.routes[route] = lambda h: fake_platform.send(h, 400, f"<h1>{SECRET}</h1>".encode())
    response = register(app.test_client(), platform, invite(app))
    text = page_text(response)
    assert response.status_code == 502 and "HTTP 400" in text
    assert SECRET not in text
    platform.routes[route] = lambda h: fake_platform.send(h, 200, f"not json {SECRET}".encode())
    response = register(app.test_client(), platform, invite(app))
    assert response.status_code == 502 and "did not answer with JSON" in page_text(response)
    assert SECRET not in page_text(response) and platforms(app) == []


# --- 1. the operator's commands -------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_platforms_invite_prints_a_one_time_url_and_invites_lists_it(app):
    made = run(app, "platforms", "invite", "--expires", "2h", "--label", "Canvas test")
    assert made.exit_code == 0, made.output
    url = made.output.splitlines()[0]
    assert re.fullmatch(r"http://localhost:5000/lti/register/[A-Za-z0-9_-]{30,}", url)
    listing = run(app, "platforms", "invites").output
    assert "open until" in listing and "'Canvas test'" in listing
    bad = run(app, "platforms", "invite", "--expires", "forever")
    assert bad.exit_code != 0 and "use minutes, hours or days" in bad.output
    too_long = run(app, "platforms", "invite", "--expires", "90d")
    assert too_long.exit_code != 0 and "from 1 minute to 30 days" in too_long.output
    invite_id = listing.split()[0]
    assert run(app, "platforms", "revoke-invite", invite_id).exit_code == 0
    assert run(app, "platforms", "invites").output.strip() == "no invites"


def test_platforms_list_shows_every_stored_url_and_flags_bad_rows(app):
    session = app.extensions["db_session"]()
    session.add_all(
        [
            Platform(
                name="Moodle",
                issuer="https://moodle.example.edu",
                client_id="abc",
                auth_login_url="https://moodle.example.edu/mod/lti/auth.php",
                auth_token_url="https://moodle.example.edu/mod/lti/token.php",
                key_set_url="https://moodle.example.edu/mod/lti/certs.php",
                auth_audience="https://moodle.example.edu/aud",
            ),
            Platform(  # a row stored before validation existed
                name="old",
                issuer="https://evil.example",
                client_id="x",
                auth_login_url="https://*/auth",
                auth_token_url="http://127.0.0.1:6379/",
                key_set_url="https://evil.example/keys",
            ),
        ]
    )
    session.commit()
    listing = run(app, "platforms", "list").output
    for url in (
        "https://moodle.example.edu/mod/lti/auth.php",
        "https://moodle.example.edu/mod/lti/token.php",
        "https://moodle.example.edu/mod/lti/certs.php",
        "https://moodle.example.edu/aud",
        "https://*/auth",
        "http://127.0.0.1:6379/",
    ):
        assert url in listing
    good, flagged = re.split(r"\n(?=\d+\t)", listing.strip())  # one block per platform
    assert "WARNING: the login URL is not a valid origin" in flagged and "evil.example" in flagged
    assert "WARNING" not in good


# --- 3. the CSP can never break a response --------------------------------------------------------


def add_raw_platform(app, login_url: str, client_id: str) -> None:
    session = app.extensions["db_session"]()
    session.add(
        Platform(
            name="raw",
            issuer=f"https://issuer-{client_id}.example",
            client_id=client_id,
            auth_login_url=login_url,
            auth_token_url="https://lms.example/token",
            key_set_url="https://lms.example/keys",
        )
    )
    session.commit()
    app.extensions["redis"].delete(ORIGINS_CACHE_KEY)


def test_bad_stored_login_urls_never_break_a_response(app, caplog):
    """The reported failure: an IDN host put a non-ASCII origin in every response's CSP (gunicorn:
    InvalidResponseHeader, every URL 500) and `https://*/auth` let any site frame the tool."""
    add_raw_platform(app, "https://例え.jp/auth", "idn")
    add_raw_platform(app, "https://*/auth", "wildcard")
    add_raw_platform(app, "https://lms.example\r\nX-Injected: 1/auth", "crlf")
    add_raw_platform(app, "https://moodle.example.edu/mod/lti/auth.php", "good")
    port = free_port()
    caplog.set_level(logging.WARNING, logger="lti_app.services.platforms")
    with serve(app, port):
        for path in ("/lti/config", "/lti/jwks.json", "/lti/canvas.json"):
            response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert response.status_code == 200, path
            csp = response.headers["Content-Security-Policy"]
            assert csp.isascii() and "*" not in csp and "X-Injected" not in response.headers
            ancestors = next(d for d in csp.split("; ") if d.startswith("frame-ancestors"))
            if path.endswith(".json"):  # never shown as a page: framing refused, no origins looked up
                assert ancestors == "frame-ancestors 'none'"
                continue
            assert ancestors.split() == [
                "frame-ancestors",
                "'self'",
                "https://moodle.example.edu",
                "https://xn--r8jz45g.jp",
            ]
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "https://*/auth" in logged and "left out of the CSP" in logged


def test_a_tampered_origin_cache_is_rebuilt_from_the_database(app):
    add_raw_platform(app, "https://moodle.example.edu/auth", "good")
    app.extensions["redis"].set(ORIGINS_CACHE_KEY, '["https://*", "https://ok.example"]')
    csp = app.test_client().get("/lti/config").headers["Content-Security-Policy"]
    assert "*" not in csp and "frame-ancestors 'self' https://moodle.example.edu;" in csp + ";"


def test_hsts_in_production_only(make_app):
    development = make_app()
    assert "Strict-Transport-Security" not in development.test_client().get("/lti/config").headers
    production = make_app(PRODUCTION=True)
    response = production.test_client().get("/lti/config")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
