"""Validly signed launches with odd claims (issue 8, point 8), over real HTTP against the sandbox LMS.

The platform's signature holds, so these are what a buggy or hostile LMS (or a learner's odd name) sends:
wrong JSON types, NUL bytes, text that is not valid Unicode and identifiers longer than LTI allows are
refused with a 400 page that names the claim, and leave nothing behind. Long display text (a person's name,
a course or activity title) is not an error: the launch works and the text is stored and shown shortened.
Run on SQLite by default and on PostgreSQL with DATABASE_URL set (where an over-long or NUL value used to
end in a database error, a 500).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import urljoin

import jwt
import lxml.html
import pytest
import requests
from sqlalchemy import select

from lti_app.adapters.orm import Attempt, LaunchRecord
from lti_app.lti.platform_storage import PREFIX
from sandbox_lms import sign_id_token, state

from .lti_harness import Lms, csrf_of, start_lms
from .test_lti_rejections import Claims, assert_refused, counts, post_launch, start_login

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[Lms]:
    with start_lms(tmp_path_factory.mktemp("lms-claims")) as running:
        running.add_link("diagnostic")
        yield running


def sign_any(lms: Lms, claims: Claims) -> str:
    """Signed by the platform's key like sign_id_token, but without PyJWT's own checks of the claims
    (it will not encode an `iss` that is not a string: a hostile platform would)."""
    key = state(lms.sandbox_app).key
    payload = json.dumps(claims).encode()
    return jwt.api_jws.encode(
        payload, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"}
    )


def signed_launch(lms: Lms, mutate: Callable[[Claims], None]) -> tuple[requests.Session, requests.Response]:
    browser, q, claims = start_login(lms)
    mutate(claims)
    token = sign_any(lms, claims)
    return browser, post_launch(lms, browser, {"id_token": token, "state": q["state"]})


def put(name: str, value) -> Callable[[Claims], None]:
    return lambda claims: claims.__setitem__(name, value)


def put_in(name: str, key: str, value) -> Callable[[Claims], None]:
    return lambda claims: claims[name].__setitem__(key, value)


REFUSED = [
    # wrong JSON types
    pytest.param(
        put(LTI + "context", "ITIL-101"), f"{LTI}context", "must be a JSON object", id="context-string"
    ),
    pytest.param(
        put(LTI + "context", ["ITIL-101"]), f"{LTI}context", "must be a JSON object", id="context-list"
    ),
    pytest.param(
        put(LTI + "custom", "assessment=diagnostic"),
        f"{LTI}custom",
        "must be a JSON object",
        id="custom-string",
    ),
    pytest.param(put(LTI + "custom", [1, 2]), f"{LTI}custom", "must be a JSON object", id="custom-list"),
    pytest.param(
        put(LTI + "roles", [LEARNER_ROLE, 7]), f"{LTI}roles[1]", "must be a string", id="roles-number"
    ),
    pytest.param(put(LTI + "roles", [None]), f"{LTI}roles[0]", "must be a string", id="roles-null"),
    pytest.param(
        put(LTI + "roles", [{"role": "Instructor"}]), f"{LTI}roles[0]", "must be a string", id="roles-object"
    ),
    pytest.param(put(LTI + "roles", "Instructor"), f"{LTI}roles", "must be a list", id="roles-string"),
    pytest.param(
        put(LTI + "resource_link", "link-1"),
        f"{LTI}resource_link",
        "must be a JSON object",
        id="resource-link-string",
    ),
    pytest.param(
        put_in(LTI + "resource_link", "title", ["a", "b"]),
        f"{LTI}resource_link.title",
        "must be a string",
        id="resource-link-title-list",
    ),
    pytest.param(
        put_in(LTI + "context", "id", 42), f"{LTI}context.id", "must be a string", id="context-id-number"
    ),
    pytest.param(put("name", {"first": "Ada"}), "name", "must be a string", id="name-object"),
    pytest.param(put("sub", 12345), "sub", "must be a string", id="sub-number"),
    pytest.param(put(AGS, "https://lms.example/lineitems"), AGS, "must be a JSON object", id="ags-string"),
    pytest.param(put_in(AGS, "scope", "score"), f"{AGS}.scope", "must be a list", id="ags-scope-string"),
    pytest.param(put(NRPS, ["https://lms.example/members"]), NRPS, "must be a JSON object", id="nrps-list"),
    pytest.param(
        put(DL_SETTINGS, "https://lms.example/return"),
        DL_SETTINGS,
        "must be a JSON object",
        id="dl-settings-string",
    ),
    pytest.param(
        put(LTI + "launch_presentation", 3),
        f"{LTI}launch_presentation",
        "must be a JSON object",
        id="presentation-number",
    ),
    pytest.param(
        put(LTI + "deployment_id", ["deployment-1"]),
        f"{LTI}deployment_id",
        "must be a string",
        id="deployment-id-list",
    ),
    pytest.param(put("iss", ["https://lms.example"]), "iss", "must be a string", id="iss-list"),
    # NUL bytes and text that is not Unicode (a lone surrogate cannot be stored, on PostgreSQL in any column)
    pytest.param(put("name", "Ada\x00Lovelace"), "name", "NUL", id="name-nul"),
    pytest.param(put("sub", "learner-1\x00"), "sub", "NUL", id="sub-nul"),
    pytest.param(
        put_in(LTI + "context", "title", "ITIL\x00"), f"{LTI}context.title", "NUL", id="context-title-nul"
    ),
    pytest.param(
        put_in(LTI + "custom", "assessment", "diag\x00nostic"),
        f"{LTI}custom.assessment",
        "NUL",
        id="custom-nul",
    ),
    pytest.param(put(LTI + "custom", {"a\x00": "1"}), f"{LTI}custom", "NUL", id="custom-key-nul"),
    pytest.param(
        put(LTI + "deployment_id", "deployment-1\x00"), f"{LTI}deployment_id", "NUL", id="deployment-id-nul"
    ),
    pytest.param(put("iss", "http://127.0.0.1\x00"), "iss", "NUL", id="iss-nul"),
    pytest.param(put("name", "Ada \ud800"), "name", "not valid Unicode", id="name-lone-surrogate"),
    # identifiers longer than LTI allows (255 characters): shortening one would merge two people or links
    pytest.param(put("sub", "u" * 256), "sub", "longer than 255", id="sub-too-long"),
    pytest.param(
        put_in(LTI + "context", "id", "c" * 501),
        f"{LTI}context.id",
        "longer than 255",
        id="context-id-too-long",
    ),
    pytest.param(
        put_in(LTI + "resource_link", "id", "r" * 600),
        f"{LTI}resource_link.id",
        "longer than 255",
        id="resource-link-id-too-long",
    ),
    pytest.param(
        put(LTI + "deployment_id", "d" * 300),
        f"{LTI}deployment_id",
        "longer than 255",
        id="deployment-id-too-long",
    ),
    pytest.param(
        put_in(AGS, "lineitem", "https://lms.example/" + "x" * 1200),
        f"{AGS}.lineitem",
        "longer than 1000",
        id="lineitem-url-too-long",
    ),
    pytest.param(put(LTI + "roles", ["R" * 600]), f"{LTI}roles[0]", "longer than 255", id="role-too-long"),
]


@pytest.mark.parametrize(("mutate", "claim", "problem"), REFUSED)
def test_odd_claims_are_refused_naming_the_claim(lms: Lms, mutate, claim: str, problem: str):
    before = counts(lms)
    _, response = signed_launch(lms, mutate)
    assert_refused(lms, response, before, 400, claim)
    assert problem in response.text


def landing_page(lms: Lms, mutate: Callable[[Claims], None]) -> tuple[requests.Session, requests.Response]:
    browser, launched = signed_launch(lms, mutate)
    assert launched.status_code == 303, (launched.status_code, launched.text[:2000])
    page = browser.get(urljoin(lms.tool_url, launched.headers["Location"]), timeout=10)
    assert page.status_code == 200, page.text[:2000]
    return browser, page


def launch_record(lms: Lms, page_url: str) -> LaunchRecord:
    session = lms.db()
    session.expire_all()
    return session.get(LaunchRecord, re.search(r"/[ai]/([^/]+)/", page_url)[1])


def visible_text(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).text_content().split())


def test_long_name_launches_and_is_shown_shortened(lms: Lms):
    name = "Ada " + "L" * 600 + " TAIL"
    _, page = landing_page(lms, put("name", name))
    record = launch_record(lms, page.url)
    assert len(record.user_name) <= 200 and record.user_name.endswith("…")
    assert record.user_name[:-1] == name[: len(record.user_name) - 1]
    text = visible_text(page.text)
    assert record.user_name in text and "TAIL" not in text


def test_long_course_title_launches_and_is_shown_shortened(lms: Lms):
    title = "ITIL 4 Foundation " + "x" * 2000 + " END"
    _, page = landing_page(lms, put_in(LTI + "context", "title", title))
    record = launch_record(lms, page.url)
    assert len(record.context_title) <= 200 and record.context_title.endswith("…")
    text = visible_text(page.text)
    assert record.context_title in text and " END" not in text


def test_2000_character_activity_name_launches_starts_and_is_stored_shortened(lms: Lms):
    """Moodle allows activity names longer than any column; /start used to fail on PostgreSQL."""
    title = "Diagnostic " + "y" * 2000
    browser, intro = landing_page(lms, put_in(LTI + "resource_link", "title", title))
    started = browser.post(intro.url + "start", data={"csrf_token": csrf_of(intro.text)}, timeout=10)
    assert started.status_code == 200 and "/q/1" in started.url, started.text[:2000]
    session = lms.db()
    session.expire_all()
    attempt = session.scalar(
        select(Attempt).where(Attempt.id == int(re.search(r"/attempt/(\d+)/", started.url)[1]))
    )
    assert len(attempt.resource_link_title) <= 200 and attempt.resource_link_title.endswith("…")
    assert attempt.resource_link_title.startswith("Diagnostic yyy")


def test_custom_values_of_any_json_type_launch(lms: Lms):
    """Canvas substitutes numbers and booleans into custom parameters: not an error."""
    custom = {"assessment": "diagnostic", "canvas_user_id": 17, "is_test": True, "extra": None}
    _, page = landing_page(lms, put(LTI + "custom", custom))
    assert launch_record(lms, page.url).assessment_id == "diagnostic"


def test_a_refused_claim_does_not_spend_the_nonce(lms: Lms):
    """Claims are checked before the nonce is consumed: the platform may correct and resend."""
    browser, q, claims = start_login(lms)
    bad = dict(claims, name="Ada\x00")
    refused = post_launch(
        lms, browser, {"id_token": sign_id_token(lms.sandbox_app, bad), "state": q["state"]}
    )
    assert refused.status_code == 400
    good = post_launch(
        lms, browser, {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    )
    assert good.status_code == 303, good.text[:2000]


@pytest.mark.parametrize("param", ["iss", "client_id", "login_hint", "lti_deployment_id", "lti_message_hint"])
def test_login_with_a_nul_parameter_is_refused_naming_it(lms: Lms, param: str):
    """The login's parameters come unsigned from the browser; on PostgreSQL a NUL used to be a 500."""
    params = {
        "iss": lms.sandbox_url,
        "login_hint": "learner-1",
        "client_id": lms.client_id,
        "target_link_uri": f"{lms.tool_url}/lti/launch",
    }
    params[param] = params.get(param, "x") + "\x00"
    before = counts(lms)
    response = lms.browser().get(
        f"{lms.tool_url}/lti/login", params=params, allow_redirects=False, timeout=10
    )
    assert_refused(lms, response, before, 400, f"login parameter {param} contains a NUL character")


@pytest.mark.parametrize(
    ("mutate", "claim"),
    [
        pytest.param(put("iss", ["https://lms.example"]), "iss", id="iss-list"),
        pytest.param(put("iss", "https://lms.example\x00"), "iss", id="iss-nul"),
        pytest.param(put("azp", {"client": 1}), "azp", id="azp-object"),
        pytest.param(put("aud", [1, 2]), "aud", id="aud-numbers"),
    ],
)
def test_platform_storage_first_post_checks_the_claims_it_reads(lms: Lms, mutate, claim: str):
    """With LTI Platform Storage the first post reads iss/aud/nonce before verifying (to find the platform's
    origin): they are type-checked first, so an odd value is a 400, not a database error."""
    _, _, claims = start_login(lms)
    mutate(claims)
    storage_state = f"{PREFIX}{base64.urlsafe_b64encode(b'_parent').decode().rstrip('=')}.y"
    before = counts(lms)
    response = requests.post(
        f"{lms.tool_url}/lti/launch",
        data={"id_token": sign_any(lms, claims), "state": storage_state},
        allow_redirects=False,
        timeout=10,
    )
    assert_refused(lms, response, before, 400, f"claim {claim}")
