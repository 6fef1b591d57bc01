"""Paged LMS lists (issue 13, point 2): NRPS memberships and AGS line items are read to the last
page of an RFC 8288 `Link: <...>; rel="next"` chain, over real HTTP against the sandbox LMS (which
pages like Canvas: 10 by default, `limit` up to 100), and the chain is bounded: same origin only,
no loops, at most MAX_PAGES pages, and past that an error that names the limit, never a part list.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from math import ceil
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, jsonify, request
from sqlalchemy import insert, select

from lti_app.adapters.lms_client import MAX_PAGES, MEMBERSHIPS, LmsClient, LmsError
from lti_app.adapters.orm import Platform
from lti_app.lti.keys import signing_key
from lti_app.services import reports
from lti_app.services.launches import LaunchContext
from sandbox_lms import get_course, get_tool, session_scope
from sandbox_lms.models import LineItem, Membership, ResourceLink, User
from sandbox_lms.store import add_line_item, add_resource_link

from .live import free_port, serve
from .lti_harness import INSTRUCTOR, LEARNER, LEARNER_2, start_lms
from .test_grade_passback import deliveries, instructor_view, take_check, work

COHORT = 2000
SLOW_MACHINE = 10.0  # the tool's LMS timeout here: 2 shared cores, other suites running
NRPS_SCOPE = reports.NRPS_SCOPE


def cohort_sub(number: int) -> str:
    return f"cohort-{number:04d}"


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    config = {"LMS_TIMEOUT_SECONDS": SLOW_MACHINE}
    with start_lms(tmp_path_factory.mktemp("lms"), tool_config=config) as running:
        running.add_link("knowledge-check", "Knowledge check")
        seed_cohort(running, COHORT)
        yield running


def seed_cohort(lms, count: int) -> None:
    """2,000 learners enrolled straight into the sandbox's database (not 2,000 launches)."""
    with session_scope(lms.sandbox_app) as session:
        course = get_course(session)
        users = [
            {
                "sub": cohort_sub(n),
                "name": f"Learner {n:04d}",
                "given_name": "Learner",
                "family_name": f"{n:04d}",
                "email": f"learner{n}@example.edu",
                "institution_role": "Student",
            }
            for n in range(count)
        ]
        session.execute(insert(User), users)
        ids = session.scalars(select(User.id).where(User.sub.like("cohort-%")))
        session.execute(
            insert(Membership), [{"course_id": course.id, "user_id": i, "roles": ["Learner"]} for i in ids]
        )


@contextmanager
def tool_client(lms) -> Iterator[tuple[LmsClient, str]]:
    """The tool's own LMS client for the registered sandbox platform, and the course's NRPS URL."""
    with lms.tool_app.app_context():
        session = lms.tool_app.extensions["db_session"]()
        platform = session.scalar(select(Platform))
        cache = lms.tool_app.extensions["redis"]
        client = LmsClient(platform, signing_key(session), cache, timeout=SLOW_MACHINE)
        yield client, f"{lms.sandbox_url}/api/courses/course-1/memberships"


def nrps_requests(lms) -> list[dict]:
    log = requests.get(f"{lms.sandbox_url}/sandbox/requests", params={"kind": "nrps"}, timeout=10).json()
    return [r for r in log["requests"] if r["method"] == "GET"]


# --- the sandbox pages like Canvas ------------------------------------------------------------------


def test_the_sandbox_pages_ten_by_default_and_honours_limit_up_to_its_maximum(lms):
    with tool_client(lms) as (client, url):
        first = client.call("GET", url, NRPS_SCOPE, accept=MEMBERSHIPS)
        assert len(first.json()["members"]) == 10
        assert set(first.links) == {"first", "last", "next"}
        total = COHORT + 3  # and the seeded cast: two learners and an instructor
        assert first.links["last"]["url"].endswith(f"limit=10&page={ceil(total / 10)}")
        big = client.call("GET", url, NRPS_SCOPE, accept=MEMBERSHIPS, params={"limit": 5000})
        assert len(big.json()["members"]) == 100 and "limit=100&page=2" in big.links["next"]["url"]


# --- a 2,000-member roster, whole --------------------------------------------------------------------


def test_the_nrps_client_reads_every_page_of_a_2000_member_roster(lms):
    with tool_client(lms) as (client, url):
        before = len(nrps_requests(lms))
        body = client.memberships(url, NRPS_SCOPE)
    subs = [m["user_id"] for m in body["members"]]
    assert len(subs) == len(set(subs)) == COHORT + 3
    assert {cohort_sub(n) for n in range(COHORT)} | {LEARNER, LEARNER_2, INSTRUCTOR} == set(subs)
    assert body["context"]["id"] == "course-1"
    assert len(nrps_requests(lms)) - before == ceil((COHORT + 3) / 100)  # 100 a page, as asked


def test_every_one_of_2000_learners_appears_in_the_instructor_report(lms):
    browser, page = instructor_view(lms)
    launch_id = re.search(r"/i/([^/?#]+)", page.url)[1]
    export = browser.get(f"{lms.tool_url}/i/{launch_id}/export.csv", timeout=30)
    assert export.status_code == 200, export.text[:500]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    learners = {row["user_id"] for row in rows}
    assert learners == {cohort_sub(n) for n in range(COHORT)} | {LEARNER, LEARNER_2}
    assert "could not be read" not in page.text


def test_a_roster_past_the_page_bound_is_refused_naming_the_limit(lms):
    with tool_client(lms) as (client, url):
        before = len(nrps_requests(lms))
        pages = client.pages(url, NRPS_SCOPE, accept=MEMBERSHIPS, params={"limit": 10}, max_pages=5)
        with pytest.raises(LmsError, match="past 5 pages") as refused:
            list(pages)
    assert refused.value.retryable is False
    assert len(nrps_requests(lms)) - before == 5  # stopped at the bound: not a sixth request


# --- a line item on page 3 ---------------------------------------------------------------------------


@contextmanager
def sandbox_config(lms, **settings) -> Iterator[None]:
    saved = {name: lms.sandbox_app.config.get(name) for name in settings}
    lms.sandbox_app.config.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                lms.sandbox_app.config.pop(name, None)
            else:
                lms.sandbox_app.config[name] = value


def test_a_links_line_item_on_page_three_is_found_and_not_duplicated(lms):
    """The learner launched before the column existed (no `lineitem` claim), so the worker looks it
    up. The sandbox ignores the list's filters here (as an LMS may) and gives at most 10 a page, so
    the link's column is item 26 of 40: on page 3."""
    attempt = take_check(lms, LEARNER, right=2)
    link_id = lms.links["knowledge-check"]
    with session_scope(lms.sandbox_app) as session:
        tool, course = get_tool(session, lms.client_id), get_course(session)
        ours = session.scalar(select(ResourceLink).where(ResourceLink.link_id == link_id))
        for n in range(25):
            other = add_resource_link(session, tool, course, f"Other {n}")
            add_line_item(
                session, tool, course, label=f"Other {n}", score_maximum=10, resource_link=other, tag="skarp"
            )
        mine = add_line_item(
            session, tool, course, label="Knowledge check", score_maximum=2, resource_link=ours, tag="skarp"
        )
        for n in range(14):
            add_line_item(session, tool, course, label=f"Unbound {n}", score_maximum=5, tag="quiz")
        mine_id = mine.id
        session.commit()
    with sandbox_config(lms, SANDBOX_MAX_PAGE_SIZE=10, SANDBOX_LINEITEM_FILTERS=False):
        requests.delete(f"{lms.sandbox_url}/sandbox/requests", timeout=10)
        work(lms)
        log = requests.get(f"{lms.sandbox_url}/sandbox/requests", params={"kind": "ags"}, timeout=10).json()
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "synced", delivery.last_error
    assert delivery.lineitem_url.endswith(f"/lineitems/{mine_id}")
    paths = [(r["method"], urlsplit(r["path"]).path) for r in log["requests"]]
    listed = [path for method, path in paths if method == "GET" and path.endswith("/lineitems")]
    assert len(listed) == 3  # pages 1-3; page 4 was never needed
    assert not [path for method, path in paths if method == "POST" and path.endswith("/lineitems")]
    with session_scope(lms.sandbox_app) as session:
        columns = session.scalars(select(LineItem).where(LineItem.label == "Knowledge check")).all()
        assert [c.id for c in columns] == [mine_id]  # not duplicated
        assert session.get(LineItem, mine_id).results[0].result_score == 2.0


# --- LMSs that page differently ------------------------------------------------------------------


@contextmanager
def fake_lms(
    next_of: Callable[[int, str], str | None], members_per_page: int = 3
) -> Iterator[tuple[str, list]]:
    """A minimal NRPS endpoint on 127.0.0.1; `next_of(page, port)` is page's rel="next" (or None)."""
    app, hits, port = Flask("fake_lms"), [], free_port()

    @app.get("/members")
    def members():
        assert request.headers["Authorization"].startswith("Bearer ")
        page = request.args.get("page", 1, type=int)
        hits.append(page)
        body = {
            "id": request.url,
            "context": {"id": "big-course"},
            "members": [{"user_id": f"p{page}-{n}", "roles": ["Learner"]} for n in range(members_per_page)],
        }
        response = jsonify(body)
        following = next_of(page, str(port))
        if following:
            response.headers["Link"] = f'<{following}>; rel="next", </members?page=1>; rel="first"'
        return response

    with serve(app, int(port)):
        yield f"http://127.0.0.1:{port}/members", hits


def test_an_lms_that_does_not_page_still_works(lms):
    with (
        fake_lms(lambda page, port: None, members_per_page=250) as (url, hits),
        tool_client(lms) as (client, _),
    ):
        body = client.memberships(url, NRPS_SCOPE)
    assert len(body["members"]) == 250 and hits == [1]


def test_relative_next_links_are_followed(lms):
    def relative(page, port):
        return f"/members?page={page + 1}" if page < 4 else None

    with fake_lms(relative) as (url, hits), tool_client(lms) as (client, _):
        body = client.memberships(url, NRPS_SCOPE)
    assert hits == [1, 2, 3, 4] and len(body["members"]) == 12


def test_a_next_link_to_another_origin_is_refused_unrequested(lms):
    def elsewhere(page, port):  # the same server under another host name: another origin all the same
        return f"http://localhost:{port}/members?page={page + 1}"

    refused_message = re.escape("is not on http://127.0.0.1:")
    with (
        fake_lms(elsewhere) as (url, hits),
        tool_client(lms) as (client, _),
        pytest.raises(LmsError, match=refused_message) as refused,
    ):
        client.memberships(url, NRPS_SCOPE)
    assert hits == [1] and "localhost" in str(refused.value)


def test_a_next_link_that_loops_is_refused(lms):
    def back_to_two(page, port):
        return f"http://127.0.0.1:{port}/members?page=2"

    with (
        fake_lms(back_to_two) as (url, hits),
        tool_client(lms) as (client, _),
        pytest.raises(LmsError, match="already read"),
    ):
        client.memberships(url, NRPS_SCOPE)
    assert hits == [1, 2]


def test_an_endless_roster_stops_at_the_page_bound_and_the_report_says_so(lms):
    def endless(page, port):
        return f"http://127.0.0.1:{port}/members?page={page + 1}"

    with fake_lms(endless) as (url, hits), lms.tool_app.app_context():
        session = lms.tool_app.extensions["db_session"]()
        ctx = LaunchContext(
            launch_id="x",
            platform_id=session.scalar(select(Platform.id)),
            deployment_id="d",
            user_sub=INSTRUCTOR,
            user_name="Ines",
            roles=[],
            context_id="big-course",
            context_title="Big course",
            resource_link_id="r",
            assessment_id="knowledge-check",
            message_type="LtiResourceLinkRequest",
            claims={reports.NRPS_CLAIM: {"context_memberships_url": url}},
        )
        members, note = reports.roster(session, lms.tool_app.extensions["redis"], ctx, SLOW_MACHINE)
    assert members == [] and f"past {MAX_PAGES} pages (the limit)" in note
    assert hits == list(range(1, MAX_PAGES + 1))
