"""The outbound guard (lti_app.adapters.outbound) over real sockets on 127.0.0.1 (issue 8, point 2).

Production refuses loopback, private, link-local and multicast addresses after DNS resolution and on
each redirect, before a single byte is sent; responses are cut at a size limit and a deadline; every
request has a timeout. The servers record each accepted connection (tests/fake_platform.py), so
"nothing was sent" is observed. 127.0.0.2 is loopback too; tests allow it explicitly (OUTBOUND_ALLOW)
where they need a reachable "public" platform next to a forbidden 127.0.0.1.
"""

from __future__ import annotations

import gzip
import html
import ipaddress
import socket
import time

import pytest
import requests
from sqlalchemy import select

from lti_app.adapters import outbound
from lti_app.adapters.lms_client import LmsClient, LmsError
from lti_app.adapters.orm import Platform
from lti_app.lti.keys import signing_key
from lti_app.services.registration import RegistrationError, register

from . import fake_platform
from .lti_harness import emptied, module_tool_app, start_lms

LOOPBACK_ALLOWED = outbound.Policy(
    block_private=True, allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),), max_bytes=100_000
)


@pytest.fixture
def recorder():
    """A server on 127.0.0.1 that must never be reached."""
    with fake_platform.running() as running:
        yield running


@pytest.fixture
def public():
    """A 'public' platform: 127.0.0.2, allowed by the policies below."""
    with fake_platform.running("127.0.0.2") as running:
        yield running


# --- addresses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fc00::1",
        "224.0.0.1",
        "ff02::1",
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address):
    reason = outbound.refusal(
        "lms.example", ipaddress.ip_address(address), outbound.Policy(block_private=True)
    )
    assert reason and "the tool does not send requests there" in reason


def test_public_addresses_and_allowed_networks_pass():
    strict = outbound.Policy(block_private=True)
    assert outbound.refusal("lms.example", ipaddress.ip_address("93.184.216.34"), strict) is None
    hosts, networks = outbound.parse_allow("lms.campus.example, 10.20.0.0/16")
    campus = outbound.Policy(block_private=True, allowed_hosts=hosts, allowed_networks=networks)
    assert outbound.refusal("x", ipaddress.ip_address("10.20.3.4"), campus) is None
    assert outbound.refusal("x", ipaddress.ip_address("10.21.0.1"), campus)
    assert outbound.refusal("lms.campus.example", ipaddress.ip_address("10.99.0.1"), campus) is None


def test_production_blocks_and_development_allows_by_default():
    assert outbound.policy_for({"PRODUCTION": True}, {}).block_private
    assert outbound.policy_for({"PRODUCTION": True}, {}).https_only
    assert not outbound.policy_for({"PRODUCTION": False}, {}).block_private
    env = {"OUTBOUND_ALLOW": "10.0.0.0/8", "OUTBOUND_MAX_BYTES": "1000"}
    policy = outbound.policy_for({"PRODUCTION": True}, env)
    assert policy.allowed_networks == (ipaddress.ip_network("10.0.0.0/8"),) and policy.max_bytes == 1000


# --- over real sockets ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_before_a_connection(recorder, host):
    session = outbound.guarded_session(LOOPBACK_ALLOWED)
    with pytest.raises(outbound.AddressRefused, match="a loopback address"):
        session.get(f"http://{host}:{recorder.port}/.well-known/openid-configuration")
    assert recorder.connections == 0


def test_outside_production_loopback_is_reached(recorder):
    session = outbound.guarded_session(outbound.Policy())
    assert session.get(recorder.openid_configuration).json()["issuer"] == recorder.url


def test_a_redirect_into_loopback_is_refused(public, recorder):
    target = recorder.openid_configuration
    public.routes["/moved"] = lambda h: fake_platform.send(h, 302, b"", {"Location": target})
    session = outbound.guarded_session(LOOPBACK_ALLOWED)
    with pytest.raises(outbound.AddressRefused, match=r"127\.0\.0\.1 resolves to 127\.0\.0\.1"):
        session.get(f"{public.url}/moved")
    assert public.paths() == ["/moved"] and recorder.connections == 0


def test_redirects_are_bounded(public):
    loop = f"{public.url}/loop"
    public.routes["/loop"] = lambda h: fake_platform.send(h, 302, b"", {"Location": loop})
    with pytest.raises(requests.TooManyRedirects) as refused:
        outbound.guarded_session(LOOPBACK_ALLOWED).get(loop)
    assert outbound.describe(refused.value) == f"127.0.0.2:{public.port} redirected more than 5 times"
    assert len(public.requests) == outbound.MAX_REDIRECTS + 1


def test_dns_rebinding_is_caught_when_connecting(recorder, monkeypatch):
    """The name resolves to a public address when checked, to loopback when connecting: the socket
    connects only to addresses checked by the connection itself."""
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "getaddrinfo", rebinding)
    with pytest.raises(outbound.AddressRefused, match="loopback"):
        outbound.guarded_session(LOOPBACK_ALLOWED).get(f"http://rebind.example:{recorder.port}/")
    assert recorder.connections == 0


def test_an_oversized_answer_is_cut_off(public):
    public.routes["/stream"] = lambda h: fake_platform.stream(h, 50_000_000)
    public.routes["/declared"] = lambda h: fake_platform.send(h, 200, b"x" * 200_000)
    session = outbound.guarded_session(LOOPBACK_ALLOWED)
    started = time.monotonic()
    with pytest.raises(outbound.ResponseTooLarge, match="over the 100000-byte limit; reading stopped"):
        session.get(f"{public.url}/stream")
    assert time.monotonic() - started < 5
    with pytest.raises(outbound.ResponseTooLarge, match="would be 200000 bytes"):
        session.get(f"{public.url}/declared")


def test_a_compressed_answer_is_limited_after_decompression(public):
    bomb = gzip.compress(b" " * 20_000_000)  # about 20 KB on the wire
    public.routes["/gz"] = lambda h: fake_platform.send(h, 200, bomb, {"Content-Encoding": "gzip"})
    with pytest.raises(outbound.ResponseTooLarge, match="over the 100000-byte limit"):
        outbound.guarded_session(LOOPBACK_ALLOWED).get(f"{public.url}/gz")


def test_a_slow_answer_is_cut_at_the_deadline(public):
    """Ten bytes every 0.1 s never trips a read timeout; the total deadline still ends it."""
    public.routes["/drip"] = lambda h: fake_platform.stream(h, 10_000, chunk=10, pause=0.1)
    policy = outbound.Policy(block_private=False, deadline_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(outbound.ResponseTooSlow, match=r"took over 0\.5 s"):
        outbound.guarded_session(policy).get(f"{public.url}/drip")
    assert time.monotonic() - started < 3


def test_a_request_without_a_timeout_still_has_one():
    """pylti1p3 calls requests without a timeout; a server that never answers must not hang us."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        policy = outbound.Policy(timeout=(1.0, 1.0))
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            outbound.guarded_session(policy).get(f"http://127.0.0.1:{port}/")
        assert time.monotonic() - started < 5


def test_https_only_refuses_plain_http_before_a_connection(recorder):
    with pytest.raises(outbound.AddressRefused, match="only https URLs"):
        outbound.guarded_session(outbound.Policy(https_only=True)).get(recorder.openid_configuration)
    assert recorder.connections == 0


# --- every caller goes through it -----------------------------------------------------------------


@pytest.fixture(scope="module")
def tool_app(tmp_path_factory):
    """One tool app for the module (starting one costs seconds); each test gets it emptied."""
    with module_tool_app(tmp_path_factory.mktemp("tool"), "https://tool.example") as app:
        yield app


@pytest.fixture
def make_app(tool_app):
    with emptied(tool_app) as make:
        yield make


def invite(app) -> str:
    from lti_app.adapters.db import db
    from lti_app.services.invites import create_invite

    with app.app_context():
        return create_invite(db())[1]


def test_production_registration_to_loopback_is_refused_before_any_byte(make_app, recorder):
    """SKARP_ENV=production settings: an https openid_configuration on 127.0.0.1 passes the URL check
    and is refused by the guard; the server never sees a connection."""
    app = make_app(PRODUCTION=True)
    url = f"https://127.0.0.1:{recorder.port}/.well-known/openid-configuration"
    response = app.test_client().post(
        f"/lti/register/{invite(app)}", data={"openid_configuration": url, "registration_token": "t"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "a loopback address" in text
    assert recorder.connections == 0
    with app.app_context():
        from lti_app.adapters.db import db

        assert db().scalars(select(Platform)).all() == []


def test_registration_follows_no_redirect_into_loopback(make_app, public, recorder):
    app = make_app(OUTBOUND_BLOCK_PRIVATE=True, OUTBOUND_ALLOW="127.0.0.2")
    target = recorder.openid_configuration
    public.routes["/.well-known/openid-configuration"] = lambda h: fake_platform.send(
        h, 307, b"", {"Location": target}
    )
    response = app.test_client().post(
        f"/lti/register/{invite(app)}", data={"openid_configuration": public.openid_configuration}
    )
    assert response.status_code == 400 and "a loopback address" in response.get_data(as_text=True)
    assert recorder.connections == 0


def test_an_oversized_configuration_ends_the_registration_with_a_clear_error(make_app, public):
    app = make_app(OUTBOUND_BLOCK_PRIVATE=True, OUTBOUND_ALLOW="127.0.0.2", OUTBOUND_MAX_BYTES=10_000)
    public.routes["/.well-known/openid-configuration"] = lambda h: fake_platform.stream(h, 10_000_000)
    with app.app_context():
        from lti_app.adapters.db import db
        from lti_app.services.invites import create_invite

        token = create_invite(db())[1]
        with pytest.raises(RegistrationError, match="over the 10000-byte limit"):
            register(db(), token, "https://tool.example", public.openid_configuration, None)
    assert public.bytes_streamed < 10_000_000


def test_lms_calls_go_through_the_guard(make_app, recorder):
    """Tokens and AGS/NRPS calls (LmsClient) are refused in production-like settings."""
    app = make_app(OUTBOUND_BLOCK_PRIVATE=True)
    with app.app_context():
        from lti_app.adapters.db import db

        platform = Platform(
            name="p",
            issuer="https://lms.example",
            client_id="c",
            auth_login_url="https://lms.example/auth",
            auth_token_url=f"http://127.0.0.1:{recorder.port}/token",
            key_set_url="https://lms.example/keys",
        )
        client = LmsClient(platform, signing_key(db()), app.extensions["redis"], timeout=2)
        with pytest.raises(LmsError, match="loopback address"):
            client.token(("https://purl.imsglobal.org/spec/lti-ags/scope/score",))
    assert recorder.connections == 0


def test_a_launch_fetches_the_platform_keys_through_the_guard(tmp_path):
    """pylti1p3 fetches the JWKS with the session we pass it: with loopback blocked, the sandbox's
    key set is not fetched and the launch is refused with the guard's reason."""
    with start_lms(tmp_path) as lms:
        link = lms.add_link("diagnostic")
        lms.tool_app.config["OUTBOUND_BLOCK_PRIVATE"] = True  # read per request
        browser = lms.browser()
        response = lms.launch(browser, "learner-1", link)
        assert response.status_code == 400
        text = html.unescape(response.text)
        assert "Could not fetch the platform's keys" in text and "loopback address" in text
        lms.tool_app.config["OUTBOUND_BLOCK_PRIVATE"] = False
        assert lms.launch(lms.browser(), "learner-1", link).status_code == 200
