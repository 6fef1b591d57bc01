"""Structured logs: every line a JSON object with a request id (the caller's X-Request-ID when well
formed, echoed back), the platform and deployment once the launch is known, and never a token or the
answer key."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
import requests

from lti_app.observability.logs import APP_LOGGER, JsonFormatter, mask

from .lti_harness import LEARNER, csrf_of, form_of, start_lms
from .test_grade_passback import TIMEOUT, work
from .test_lti_flows import ITEMS, answer, attempt_of, correct_position, submit


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms"), tool_config={"LMS_TIMEOUT_SECONDS": TIMEOUT}) as running:
        running.add_link("knowledge-check", "Knowledge check")
        yield running


@pytest.fixture
def log_lines(lms):
    """What the tool's JSON handler (installed by create_app) writes, captured."""
    (handler,) = [h for h in logging.getLogger(APP_LOGGER).handlers if isinstance(h.formatter, JsonFormatter)]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    lines: list[dict] = []

    def read() -> list[dict]:
        lines[:] = [json.loads(line) for line in buffer.getvalue().splitlines()]  # each line is JSON
        return lines

    yield read
    handler.setStream(previous)


def test_a_launch_logs_json_lines_with_request_ids_and_no_secrets(lms, log_lines):
    browser = lms.browser()
    to_auth = lms.login_redirect(browser, LEARNER, lms.links["knowledge-check"])
    auth = browser.get(to_auth.headers["Location"], timeout=10)
    action, fields = form_of(auth.text)
    id_token, state = fields["id_token"], fields["state"]
    intro = browser.post(action, data=fields, headers={"X-Request-ID": "lb-7f3a9c21-launch"}, timeout=10)
    assert intro.status_code == 200
    page = browser.post(intro.url + "start", data={"csrf_token": csrf_of(intro.text)}, timeout=10)
    attempt = attempt_of(lms, page.url)
    for number in (1, 2):
        page = answer(browser, page, number, correct_position(attempt, number))
    result = submit(browser, page)
    assert result.status_code == 200
    work(lms)  # the grade worker fetches an access token and posts the score
    lines = log_lines()
    requests_logged = [line for line in lines if line.get("event") == "request"]
    assert len(requests_logged) >= 8, lines

    launch = next(line for line in requests_logged if line["route"] == "/lti/launch")
    assert launch["request_id"] == "lb-7f3a9c21-launch", "a well-formed X-Request-ID is kept"
    assert launch["status"] == 303 and launch["platform_id"] and launch["deployment_id"]
    learner_pages = [line for line in requests_logged if line["route"].startswith("/a/")]
    assert learner_pages and all(line["platform_id"] and line["deployment_id"] for line in learner_pages)
    ids = [line["request_id"] for line in requests_logged]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids if i != "lb-7f3a9c21-launch")
    generated = [i for i in ids if i != "lb-7f3a9c21-launch"]  # the launch's redirect re-sent it
    assert len(set(generated)) == len(generated), "one id per request"

    text = "\n".join(json.dumps(line) for line in lines)
    (access_token,) = [
        json.loads(lms.tool_app.extensions["redis"].get(key))["access_token"]
        for key in lms.tool_app.extensions["redis"].scan_iter("skarp:lms-token:*")
        if not key.endswith(b":lock")
    ]
    for secret in (
        id_token,
        id_token.split(".")[1],
        state,
        access_token,
        attempt.id and intro.url.split("/")[4],
    ):
        assert secret not in text
    for item in (ITEMS[d["item_id"]] for d in attempt.delivered):
        correct = next(option.text for option in item.options if option.correct)
        assert correct not in text and item.rationale not in text, "no answer key in the logs"
    assert "id_token" not in text and "access_token" not in text and "Bearer" not in text


def test_the_request_id_is_echoed_and_a_malformed_one_replaced(lms, log_lines):
    kept = requests.get(f"{lms.tool_url}/lti/config", headers={"X-Request-ID": "abc12345-req"}, timeout=10)
    assert kept.headers["X-Request-ID"] == "abc12345-req"
    for bad in ("short", "x" * 200, "has space-1234", 'inj\\n{"level":"error"}'):
        replaced = requests.get(f"{lms.tool_url}/lti/config", headers={"X-Request-ID": bad}, timeout=10)
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), bad
    generated = requests.get(f"{lms.tool_url}/lti/config", timeout=10).headers["X-Request-ID"]
    logged = [line["request_id"] for line in log_lines() if line.get("route") == "/lti/config"]
    assert logged[0] == "abc12345-req" and logged[-1] == generated


def test_query_strings_never_reach_the_logs(lms, log_lines):
    requests.get(
        f"{lms.tool_url}/lti/register",
        params={
            "openid_configuration": "https://lms.example/oidc",
            "registration_token": "reg-secret-123456",
        },
        timeout=10,
    )
    text = "\n".join(json.dumps(line) for line in log_lines())
    assert "/lti/register" in text and "reg-secret-1234" not in text


def test_tokens_are_masked_even_if_a_message_carries_one():
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJsZWFybmVyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    record = logging.LogRecord("lti_app.x", logging.WARNING, __file__, 1, "got %s", (jwt_like,), None)
    record.authorization = "Bearer abcdefghijklmnop"
    record.detail = {"access_token": "opaque-token-value", "note": f"Bearer {jwt_like}"}
    line = json.loads(JsonFormatter().format(record))
    text = json.dumps(line)
    assert jwt_like not in text and "abcdefghijklmnop" not in text and "opaque-token-value" not in text
    assert line["message"] == "got [redacted]" and line["authorization"] == "[redacted]"
    assert mask("Authorization: Bearer s3cr3t-t0ken-value") == "Authorization: Bearer [redacted]"
    assert mask("Authorization: Basic dXNlcjpwYXNzd29yZA==") == "Authorization: Basic [redacted]"
    assert mask("basic settings unchanged") == "basic settings unchanged", "prose is left alone"
