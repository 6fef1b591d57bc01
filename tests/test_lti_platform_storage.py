"""Launches without cookies: the OIDC state and nonce kept by LTI Platform Storage.

Over HTTP, the test plays the part of the browser's JavaScript (which the Chromium test runs for
real): it reads the values the login page would store and posts them back with the launch.
"""

from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import func, select

from lti_app.adapters.orm import LaunchRecord

from .lti_harness import LEARNER, form_of, start_lms


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        running.add_link("diagnostic")
        yield running


def login_with_storage(lms, browser) -> dict[str, str]:
    """Platform login initiation in a frame (lti_storage_target=_parent) -> the tool's login page."""
    start = browser.post(
        f"{lms.sandbox_url}/launch/start",
        data={"tool_id": lms.client_id, "user_id": LEARNER, "resource_link_id": lms.links["diagnostic"]},
        timeout=10,
    )
    action, fields = form_of(start.text)
    assert fields["lti_storage_target"] == "_parent"
    page = browser.post(action, data=fields, timeout=10)
    assert page.status_code == 200 and not page.headers.get("Set-Cookie")
    (login,) = lxml.html.fromstring(page.text).xpath("//*[@data-platform-storage-login]")
    return dict(login.attrib)


def id_token_page(lms, browser, login: dict[str, str]):
    """The platform's auth endpoint posts the id_token; the tool first answers with its reader page."""
    auth = browser.get(login["data-auth-url"], timeout=10)
    action, fields = form_of(auth.text)
    reader = browser.post(action, data=fields, timeout=10)
    assert reader.status_code == 200
    return action, fields, reader


def launches(lms) -> int:
    session = lms.db()
    session.expire_all()
    return session.scalar(select(func.count()).select_from(LaunchRecord))


def test_launch_completes_without_any_cookie(lms):
    browser = lms.browser()
    login = login_with_storage(lms, browser)
    assert login["data-origin"] == lms.sandbox_url
    action, fields, reader = id_token_page(lms, browser, login)
    form = lxml.html.fromstring(reader.text).xpath("//form[@data-platform-storage-launch]")[0]
    assert form.get("data-state") == login["data-state"] and form.get("data-origin") == lms.sandbox_url
    proof = {"lti_storage_state": login["data-state"], "lti_storage_nonce": login["data-nonce"]}
    done = browser.post(action, data={**fields, **proof}, timeout=10)
    assert done.status_code == 200 and "/a/" in done.url
    assert not list(browser.cookies), "no cookie was needed at any step"


@pytest.mark.parametrize("bad", ["wrong-state", "wrong-nonce", "missing"])
def test_a_launch_the_platform_storage_does_not_confirm_is_refused(lms, bad):
    browser = lms.browser()
    login = login_with_storage(lms, browser)
    action, fields, _ = id_token_page(lms, browser, login)
    proof = {
        "wrong-state": {"lti_storage_state": "ps.X2.other", "lti_storage_nonce": login["data-nonce"]},
        "wrong-nonce": {"lti_storage_state": login["data-state"], "lti_storage_nonce": "other"},
        "missing": {"lti_storage_state": "", "lti_storage_nonce": ""},
    }[bad]
    before = launches(lms)
    refused = browser.post(action, data={**fields, **proof}, timeout=10)
    assert refused.status_code == 400 and "storage did not confirm" in refused.text
    assert launches(lms) == before


def test_a_confirmed_state_works_once(lms):
    browser = lms.browser()
    login = login_with_storage(lms, browser)
    action, fields, _ = id_token_page(lms, browser, login)
    proof = {"lti_storage_state": login["data-state"], "lti_storage_nonce": login["data-nonce"]}
    assert browser.post(action, data={**fields, **proof}, timeout=10).status_code == 200
    replay = browser.post(action, data={**fields, **proof}, timeout=10)
    assert replay.status_code == 400


def test_without_platform_storage_the_cookie_flow_is_the_fallback(lms):
    browser = lms.browser()
    login = login_with_storage(lms, browser)
    fallback = browser.get(login["data-fallback-url"], timeout=10)
    assert "lti_storage_target" not in login["data-fallback-url"]
    assert "prohibits to save cookies" in fallback.text  # pylti1p3's check, then a new window
