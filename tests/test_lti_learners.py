"""Learner data rights: `learners export` writes everything held about one learner, `learners erase`
removes it (and the class report and item statistics become those of the remaining learners), and
`retention purge` deletes expired launch records and nonces without an expiry."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from courseware.statistics import histogram, item_statistics
from lti_app.adapters.orm import Attempt, LaunchRecord, Platform, utcnow
from lti_app.services import learners, report_summary, reports
from lti_app.services.attempts import grade_attempt
from lti_app.services.launches import LaunchContext

from .lti_harness import LEARNER, LEARNER_2, csrf_of, start_lms
from .test_grade_passback import TIMEOUT, drain, instructor_view, take_check


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms"), tool_config={"LMS_TIMEOUT_SECONDS": TIMEOUT}) as running:
        running.add_link("knowledge-check", "Knowledge check")
        running.add_link("diagnostic", "Diagnostic")
        yield running


def cli(lms, *args: str):
    with lms.tool_app.app_context():
        return lms.tool_app.test_cli_runner().invoke(args=list(args))


def blank_diagnostic(lms, user: str) -> None:
    """Start the diagnostic and submit it unanswered: every open-pool item becomes a review lapse,
    and mastery is recorded (review cards, review logs, mastery snapshots for this learner)."""
    browser = lms.browser()
    intro = lms.launch(browser, user, lms.links["diagnostic"])
    page = browser.post(intro.url + "start", data={"csrf_token": csrf_of(intro.text)}, timeout=10)
    review = browser.get(page.url.rsplit("/q/", 1)[0] + "/review", timeout=10)
    submitted = browser.post(
        review.url.rsplit("/", 1)[0] + "/submit",
        data={"csrf_token": csrf_of(review.text), "confirm": "1"},  # "Submit anyway": all unanswered
    )
    assert "/result" in submitted.url, submitted.text


@pytest.fixture(scope="module")
def two_learners(lms):
    take_check(lms, LEARNER, right=2)
    take_check(lms, LEARNER_2, right=0)
    take_check(lms, LEARNER_2, right=1)
    left_by_an_earlier_version(lms)
    blank_diagnostic(lms, LEARNER)
    blank_diagnostic(lms, LEARNER_2)
    drain(lms)
    with lms.tool_app.app_context():
        platform = lms.db().scalar(select(Platform))
    return platform


def left_by_an_earlier_version(lms) -> None:
    """Versions before the cohort work let pylti1p3 keep a copy of every id_token body in Redis for a
    day (`lti1p3-launch-<uuid>`); the tool no longer writes them, but after an upgrade such copies are
    still there for up to a day, and the data-rights commands must still find and erase them."""
    cache = lms.tool_app.extensions["redis"]
    for launch in lms.db().scalars(select(LaunchRecord)):
        body = {"sub": launch.user_sub, "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0"}
        cache.set(f"lti1p3-{launch.id.removeprefix('lti1p3-')}", json.dumps(body), ex=86_400)


def held(lms, platform, sub):
    session = lms.db()
    session.expire_all()
    return learners.held(session, learners.find_learner(session, str(platform.id), sub))


def report_for_link(lms, platform):
    """The knowledge check's class report as the tool computes it (no NRPS roster: only what is held)."""
    session = lms.db()
    session.expire_all()
    attempt = session.scalars(select(Attempt).where(Attempt.assessment_id == "knowledge-check")).first()
    ctx = LaunchContext(
        launch_id="report",
        platform_id=platform.id,
        deployment_id=attempt.deployment_id,
        user_sub="instructor-1",
        user_name="",
        roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        context_id=attempt.context_id,
        context_title="",
        resource_link_id=attempt.resource_link_id,
        assessment_id="knowledge-check",
        message_type="LtiResourceLinkRequest",
    )
    content = lms.tool_app.extensions["content"]
    report_summary.ensure_stored(session, content, ctx)
    page = reports.learner_page(session, ctx, [], reports.ReportQuery())
    summary = report_summary.class_summary(session, content, ctx, lms.tool_app.extensions["redis"])
    return SimpleNamespace(rows=page.rows, items=summary.items, distribution=summary.distribution)


def test_export_writes_everything_held_about_one_learner(lms, two_learners, tmp_path):
    counts = held(lms, two_learners, LEARNER)
    assert all(counts.values()), f"the scenario must hold every kind of row: {counts}"
    out = tmp_path / "learner.json"
    result = cli(
        lms, "learners", "export", "--platform", str(two_learners.id), "--sub", LEARNER, "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600, "personal data is written for the operator only"
    document = json.loads(out.read_text())
    assert document["learner"]["sub"] == LEARNER
    assert document["counts"] == {
        "cached_launch_data": len(document["cached_launch_data"]),
        "launches": counts["launches"],
        "attempts": counts["attempts"],
        "grade_deliveries": counts["grade_deliveries"],
        "review_cards": counts["review_cards"],
        "review_logs": counts["review_logs"],
        "mastery_snapshots": counts["mastery_snapshots"],
    }
    check = next(a for a in document["attempts"] if a["assessment_id"] == "knowledge-check")
    assert check["score"] == 1.0 and len(check["answers"]) == 2 and check["answers"][0]["chosen"] in range(4)
    assert all(d["user_sub"] == LEARNER and d["status"] == "synced" for d in document["grade_deliveries"])
    assert {launch["user_sub"] for launch in document["launches"]} == {LEARNER}
    cached = document["cached_launch_data"]  # pylti1p3's day-long copies of the id_token bodies
    assert cached and all(copy["id_token_body"]["sub"] == LEARNER for copy in cached)
    assert {copy["launch_id"] for copy in cached} <= {launch["id"] for launch in document["launches"]}
    assert LEARNER_2 not in out.read_text(), "nothing about anyone else"
    # By issuer, to stdout: the same document.
    by_issuer = cli(lms, "learners", "export", "--platform", two_learners.issuer, "--sub", LEARNER)
    assert by_issuer.exit_code == 0 and json.loads(by_issuer.output)["counts"] == document["counts"]


def test_export_and_erase_name_what_is_wrong(lms, two_learners):
    unknown = cli(lms, "learners", "export", "--platform", "https://nowhere.example", "--sub", LEARNER)
    assert (
        unknown.exit_code == 1 and "no platform with id or issuer 'https://nowhere.example'" in unknown.output
    )
    assert "Traceback" not in unknown.output
    empty = cli(lms, "learners", "erase", "--platform", str(two_learners.id), "--sub", " ", "--yes")
    assert empty.exit_code == 1 and "--sub must not be empty" in empty.output
    stranger = cli(lms, "learners", "erase", "--platform", str(two_learners.id), "--sub", "nobody", "--yes")
    assert stranger.exit_code == 0 and "nothing held about nobody" in stranger.output
    unconfirmed = cli(lms, "learners", "erase", "--platform", str(two_learners.id), "--sub", LEARNER)
    assert unconfirmed.exit_code != 0 and all(held(lms, two_learners, LEARNER).values())


def test_erase_removes_the_learner_and_the_statistics_become_the_others(lms, two_learners):
    content = lms.tool_app.extensions["content"]
    before = report_for_link(lms, two_learners)
    assert [row.user_sub for row in before.rows if row.attempts] == [LEARNER, LEARNER_2]
    others = [
        a for row in before.rows if row.user_sub == LEARNER_2 for a in (s.attempt for s in row.attempts)
    ]
    expected_items = item_statistics(  # over first attempts, as Moodle's statistics by default
        [{r.item_id: r.is_correct for r in grade_attempt(content, a).results} for a in others[:1]]
    )
    expected_distribution = histogram([others[-1].score])
    assert before.items != expected_items and before.distribution != expected_distribution
    other_rows = held(lms, two_learners, LEARNER_2)
    cache = lms.tool_app.extensions["redis"]
    launch_ids = [
        r.id for r in lms.db().scalars(select(LaunchRecord).where(LaunchRecord.user_sub == LEARNER))
    ]
    assert any(cache.exists(f"skarp:launch:{i}") for i in launch_ids)
    assert any(
        key.decode().endswith(launch_ids[0].removeprefix("lti1p3-")) for key in cache.scan_iter("lti1p3-*")
    )

    result = cli(lms, "learners", "erase", "--platform", str(two_learners.id), "--sub", LEARNER, "--yes")
    assert result.exit_code == 0 and result.output.startswith("erased "), result.output
    assert "2 attempts" in result.output and "0 launches" not in result.output

    assert set(held(lms, two_learners, LEARNER).values()) == {0}, "nothing left in any table"
    assert held(lms, two_learners, LEARNER_2) == other_rows, "nobody else's rows were touched"
    assert not any(cache.exists(f"skarp:launch:{i}") for i in launch_ids), "launch cache gone"
    assert not [k for k in cache.scan_iter("lti1p3-*") if any(k.decode().endswith(i[7:]) for i in launch_ids)]
    after = report_for_link(lms, two_learners)
    assert [row.user_sub for row in after.rows] == [LEARNER_2]
    assert after.items == expected_items and after.distribution == expected_distribution
    # The instructor's own view and CSV: no attempt of the erased learner (the LMS roster may still
    # name them as a course member who has not started: that comes from the LMS, not from the tool).
    browser, page = instructor_view(lms)
    rows = list(csv.DictReader(io.StringIO(browser.get(page.url.rstrip("/") + "/export.csv").text)))
    assert not [r for r in rows if r["user_id"] == LEARNER and r["attempt"]]
    assert [r for r in rows if r["user_id"] == LEARNER_2 and r["attempt"]]


def test_retention_purges_expired_launch_records_and_nonces_without_expiry(lms, two_learners):
    session = lms.db()
    now = utcnow()

    def record(launch_id: str, expires_at) -> None:
        session.add(
            LaunchRecord(
                id=launch_id,
                platform_id=two_learners.id,
                deployment_id="1",
                user_sub="retention-learner",
                message_type="LtiResourceLinkRequest",
                expires_at=expires_at,
            )
        )

    record("old", now - timedelta(days=200))
    record("recent", now - timedelta(days=1))
    record("live", now + timedelta(hours=1))
    session.commit()
    cache = lms.tool_app.extensions["redis"]
    cache.set("lti1p3-nonce-stale", "true")  # no TTL: would stay forever
    cache.set("lti1p3-abc-nonce-fresh", "true", ex=3600)

    purged = cli(lms, "retention", "purge")  # default: expired more than 180 days ago
    assert purged.exit_code == 0, purged.output
    assert (
        purged.output.startswith("purged 1 launch records") and "1 nonces without an expiry" in purged.output
    )

    def ids() -> set[str]:
        session.expire_all()
        return {
            r.id
            for r in session.scalars(select(LaunchRecord).where(LaunchRecord.user_sub == "retention-learner"))
        }

    assert ids() == {"recent", "live"}
    assert not cache.exists("lti1p3-nonce-stale") and cache.exists("lti1p3-abc-nonce-fresh")
    assert cli(lms, "retention", "purge", "--older-than", "0d").exit_code == 0
    assert ids() == {"live"}, "a launch still in use is never purged"
    bad = cli(lms, "retention", "purge", "--older-than", "six months")
    assert bad.exit_code == 2 and "cannot read the period 'six months'" in bad.output and "180d" in bad.output
