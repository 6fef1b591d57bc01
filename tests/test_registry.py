"""The registry snapshot (adapters/registry.py): launches read no registration table, yet whatever the
operator changes, from any process, counts on the very next request (issue 13, point 4).

Each test changes the registry through a second app on the same database and Redis: another process,
as the CLI or another gunicorn worker would be, with its own snapshot and its own session factory.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, update

from lti_app import create_app
from lti_app.adapters.orm import Platform
from lti_app.adapters.registry import GENERATION_KEY
from sandbox_lms import launch_claims, sandbox_private_key_pem, sign_id_token
from sandbox_lms.keys import load_private_key

from .lti_harness import LEARNER, start_lms


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as lms:
        lms.add_link("diagnostic", "Diagnostic")
        yield lms


@pytest.fixture
def lms(running):
    """The module's LMS, registered as it was at the start, whatever a test changed."""
    yield running
    platform = _platform(running.tool_app)
    if platform is None:
        running.register_tool()
    running.tool_app.extensions["db_session"].remove()


@pytest.fixture
def other_process(lms):
    """A second app on the same database and Redis: another process, with a snapshot of its own."""
    config = lms.tool_app.config
    app = create_app(
        {
            "DATABASE_URL": config["DATABASE_URL"],
            "REDIS_URL": config["REDIS_URL"],  # the embedded server's socket, when there is one
            "SECRET_KEY": config["SECRET_KEY"],
            "TOOL_BASE_URL": config["TOOL_BASE_URL"],
        }
    )
    yield app
    app.extensions["db_session"].remove()
    app.extensions["db_engine"].dispose()


def _platform(app):
    session = app.extensions["db_session"]()
    session.expire_all()
    return session.query(Platform).one_or_none()


def _cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _login(lms):
    client = lms.tool_app.test_client()
    return client, client.get("/lti/login", query_string=lms.login_params(), base_url=lms.tool_url)


def _signed_launch(lms, client, login, **changes):
    """POST /lti/launch with an id_token the sandbox's key signs, after `login`'s redirect."""
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    now = int(time.time())
    claims = launch_claims(lms.sandbox_app, lms.client_id, LEARNER, lms.links["diagnostic"], "n")
    claims |= {"nonce": query["nonce"][0], "iat": now, "exp": now + 300, **changes}
    token = sign_id_token(load_private_key(sandbox_private_key_pem(lms.sandbox_app)), claims)
    data = {"id_token": token, "state": query["state"][0]}
    return client.post("/lti/launch", data=data, base_url=lms.tool_url)


def _statements(app):
    counted = []
    engine = app.extensions["db_engine"]
    listener = lambda *args: counted.append(args[2])  # noqa: E731 - the statement
    event.listen(engine, "before_cursor_execute", listener)
    return counted, lambda: event.remove(engine, "before_cursor_execute", listener)


def test_a_launch_reads_no_registration_table(lms):
    _login(lms)  # a new installation: the tool's first key is made, so every snapshot reloads
    _login(lms)  # the snapshot is loaded once
    counted, stop = _statements(lms.tool_app)
    try:
        client, login = _login(lms)
        assert login.status_code == 302, login.get_data(as_text=True)
        assert counted == [], counted  # the login touches no table at all
        launched = _signed_launch(lms, client, login)
        assert launched.status_code == 303, launched.get_data(as_text=True)
    finally:
        stop()
    assert len(counted) == 1 and counted[0].lstrip().upper().startswith("INSERT INTO LAUNCHES"), counted


def test_a_platform_removed_by_another_process_is_refused_on_the_next_login(lms, other_process):
    assert _login(lms)[1].status_code == 302  # the platform is in this process's snapshot
    platform_id = str(_platform(other_process).id)
    _cli(other_process, "platforms", "remove", platform_id, "--yes")
    refused = _login(lms)[1]
    assert refused.status_code == 400
    assert "not registered with Skarp" in refused.get_data(as_text=True)


def test_a_deployment_added_by_another_process_is_accepted_on_the_next_launch(lms, other_process):
    deployment = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
    client, login = _login(lms)
    refused = _signed_launch(lms, client, login, **{deployment: "deployment-9"})
    assert refused.status_code == 403
    assert "deployment is not registered" in refused.get_data(as_text=True)
    _cli(other_process, "platforms", "add-deployment", str(_platform(other_process).id), "deployment-9")
    client, login = _login(lms)
    assert _signed_launch(lms, client, login, **{deployment: "deployment-9"}).status_code == 303


def test_a_key_rotated_by_another_process_signs_at_once(lms, other_process):
    registry = lms.tool_app.extensions["registry"]
    with lms.tool_app.app_context():
        session = lms.tool_app.extensions["db_session"]()
        before = registry.current(session).signing_key.kid
        output = _cli(other_process, "keys", "rotate")
        after = registry.current(session).signing_key.kid
    assert after != before and after in output


def test_a_flushed_redis_makes_every_process_reload(lms, other_process):
    """A change no listener saw (a plain UPDATE) shows once Redis is flushed: no token means reload."""
    registry = lms.tool_app.extensions["registry"]
    session = lms.tool_app.extensions["db_session"]()
    name = registry.current(session).find(lms.sandbox_url, lms.client_id).name
    other = other_process.extensions["db_session"]()
    other.execute(update(Platform).values(name="Renamed quietly"))
    other.commit()
    assert registry.current(session).find(lms.sandbox_url, lms.client_id).name == name  # unseen
    lms.tool_app.extensions["redis"].delete(GENERATION_KEY)  # what FLUSHDB does to it
    assert registry.current(session).find(lms.sandbox_url, lms.client_id).name == "Renamed quietly"
    other.execute(update(Platform).values(name=name))
    other.commit()
