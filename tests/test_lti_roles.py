"""Who gets the instructor view: only roles in the launch's *context* (the course), never a role the person
holds elsewhere at the institution or in the system (issue 8, point 4).

Each vocabulary of the LTI 1.3 roles claim (core spec, appendix A.2) is checked twice: on the launch
context directly, and over real HTTP with a validly signed launch from the sandbox LMS, where the landing
page (instructor view `/i/` or the learner's `/a/`) and the kind of attempt started (graded or preview)
are what a person would see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from lti_app.adapters.orm import Attempt
from lti_app.services.launches import LaunchContext
from sandbox_lms import sign_id_token

from .lti_harness import Lms, csrf_of, start_lms
from .test_lti_rejections import post_launch, start_login

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
MEMBERSHIP = LIS + "membership#"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"


def context(roles: list) -> LaunchContext:
    return LaunchContext(
        launch_id="l",
        platform_id=1,
        deployment_id="d",
        user_sub="u",
        user_name="U",
        roles=roles,
        context_id="c",
        context_title="C",
        resource_link_id="r",
        assessment_id="diagnostic",
        message_type="LtiResourceLinkRequest",
    )


STAFF = "staff"
LEARNER_VIEW = "learner"

MEMBERSHIP_FULL_URI = [
    pytest.param([MEMBERSHIP + "Instructor"], STAFF, id="Instructor"),
    pytest.param([MEMBERSHIP + "Administrator"], STAFF, id="Administrator"),
    pytest.param([MEMBERSHIP + "ContentDeveloper"], STAFF, id="ContentDeveloper"),
    pytest.param([LIS + "membership/Instructor#TeachingAssistant"], STAFF, id="sub-role-TeachingAssistant"),
    pytest.param([LIS + "membership/Instructor#PrimaryInstructor"], STAFF, id="sub-role-PrimaryInstructor"),
    pytest.param([LIS + "membership/ContentDeveloper#Librarian"], STAFF, id="sub-role-of-ContentDeveloper"),
    pytest.param([MEMBERSHIP + "Learner"], LEARNER_VIEW, id="Learner"),
    pytest.param([MEMBERSHIP + "Mentor"], LEARNER_VIEW, id="Mentor"),
    pytest.param([MEMBERSHIP + "Member"], LEARNER_VIEW, id="Member"),
    pytest.param([MEMBERSHIP + "Manager"], LEARNER_VIEW, id="Manager"),
    pytest.param([MEMBERSHIP + "Officer"], LEARNER_VIEW, id="Officer"),
    # A Learner sub-role whose name happens to be "Instructor": still a learner in this course.
    pytest.param([LIS + "membership/Learner#Instructor"], LEARNER_VIEW, id="Learner-sub-role-Instructor"),
    pytest.param([LIS + "membership/Mentor#Advisor"], LEARNER_VIEW, id="Mentor-sub-role"),
]

SHORT_CONTEXT_FORM = [
    pytest.param(["Instructor"], STAFF, id="Instructor"),
    pytest.param(["Administrator"], STAFF, id="Administrator"),
    pytest.param(["ContentDeveloper"], STAFF, id="ContentDeveloper"),
    pytest.param(["Learner"], LEARNER_VIEW, id="Learner"),
    pytest.param(["Mentor"], LEARNER_VIEW, id="Mentor"),
    # Not a context role of LIS v2 (a sub-role of Instructor, sent as a full URI): no short form.
    pytest.param(["TeachingAssistant"], LEARNER_VIEW, id="TeachingAssistant-is-no-short-form"),
]

INSTITUTION_ROLES = [
    # The reported case: a course Learner who teaches elsewhere (Canvas sends this).
    pytest.param([MEMBERSHIP + "Learner", INSTITUTION + "Instructor"], LEARNER_VIEW, id="Learner+Instructor"),
    pytest.param([INSTITUTION + "Instructor"], LEARNER_VIEW, id="Instructor-alone"),
    pytest.param([INSTITUTION + "Faculty"], LEARNER_VIEW, id="Faculty"),
    pytest.param([INSTITUTION + "Mentor"], LEARNER_VIEW, id="Mentor"),
    pytest.param([INSTITUTION + "Guest"], LEARNER_VIEW, id="Guest"),
    pytest.param([INSTITUTION + "ContentDeveloper"], LEARNER_VIEW, id="ContentDeveloper"),
    # Administrator: an LMS admin looking at a course they are not enrolled in (no context role) ...
    pytest.param([INSTITUTION + "Administrator"], STAFF, id="Administrator-without-context-role"),
    # ... but in a course where they are a learner, they are a learner.
    pytest.param(
        [MEMBERSHIP + "Learner", INSTITUTION + "Administrator"], LEARNER_VIEW, id="Administrator+Learner"
    ),
]

SYSTEM_ROLES = [
    pytest.param([SYSTEM + "Instructor"], LEARNER_VIEW, id="Instructor"),
    pytest.param([MEMBERSHIP + "Learner", SYSTEM + "Instructor"], LEARNER_VIEW, id="Learner+Instructor"),
    pytest.param([SYSTEM + "User"], LEARNER_VIEW, id="User"),
    pytest.param([SYSTEM + "SysAdmin"], LEARNER_VIEW, id="SysAdmin"),
    pytest.param([SYSTEM + "Administrator"], STAFF, id="Administrator-without-context-role"),
    pytest.param(
        [MEMBERSHIP + "Learner", SYSTEM + "Administrator"], LEARNER_VIEW, id="Administrator+Learner"
    ),
    pytest.param([LIS + "system/person#TestUser"], LEARNER_VIEW, id="TestUser"),
]

UNKNOWN_ROLES = [
    pytest.param(["http://example.edu/roles#Instructor"], LEARNER_VIEW, id="foreign-vocabulary"),
    pytest.param(["urn:lti:role:ims/lis/Instructor"], LEARNER_VIEW, id="lti-1.1-urn"),
    pytest.param([LIS + "membership#Professor"], LEARNER_VIEW, id="not-a-membership-role"),
    pytest.param([LIS + "membership/Professor#Instructor"], LEARNER_VIEW, id="sub-role-of-unknown-principal"),
    pytest.param(["Professor"], LEARNER_VIEW, id="unknown-short-name"),
    pytest.param([], LEARNER_VIEW, id="no-roles"),
]

MALFORMED_ROLES = [
    pytest.param([MEMBERSHIP + "instructor"], LEARNER_VIEW, id="wrong-case"),
    pytest.param([MEMBERSHIP + "Instructor "], LEARNER_VIEW, id="trailing-space"),
    pytest.param(["#Instructor"], LEARNER_VIEW, id="bare-fragment"),
    pytest.param(["Instructor#"], LEARNER_VIEW, id="short-name-with-hash"),
    pytest.param([LIS + "membership#Instructor#Instructor"], LEARNER_VIEW, id="two-fragments"),
    pytest.param(["https://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], LEARNER_VIEW, id="https"),
    pytest.param([""], LEARNER_VIEW, id="empty-string"),
]

# Not strings at all: the launch context never grants on them (the HTTP launch refuses them with a 400,
# see tests/test_lti_claims.py).
NON_STRING_ROLES = [
    pytest.param(None, id="null"),
    pytest.param(7, id="number"),
    pytest.param(["Instructor"], id="nested-list"),
    pytest.param({"role": "Instructor"}, id="object"),
    pytest.param(b"Instructor", id="bytes"),
]


# --- the launch context ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("roles", "expected"), MEMBERSHIP_FULL_URI)
def test_membership_full_uris(roles, expected):
    assert context(roles).is_staff is (expected == STAFF)


@pytest.mark.parametrize(("roles", "expected"), SHORT_CONTEXT_FORM)
def test_short_context_forms(roles, expected):
    assert context(roles).is_staff is (expected == STAFF)


@pytest.mark.parametrize(("roles", "expected"), INSTITUTION_ROLES)
def test_institution_roles(roles, expected):
    assert context(roles).is_staff is (expected == STAFF)


@pytest.mark.parametrize(("roles", "expected"), SYSTEM_ROLES)
def test_system_roles(roles, expected):
    assert context(roles).is_staff is (expected == STAFF)


@pytest.mark.parametrize(("roles", "expected"), UNKNOWN_ROLES)
def test_unknown_roles(roles, expected):
    assert context(roles).is_staff is (expected == STAFF)


@pytest.mark.parametrize(("roles", "expected"), MALFORMED_ROLES)
def test_malformed_roles(roles, expected):
    assert context(roles).is_staff is (expected == STAFF)


@pytest.mark.parametrize("role", NON_STRING_ROLES)
def test_non_string_roles_never_grant(role):
    assert context([role]).is_staff is False
    assert context([role, MEMBERSHIP + "Learner"]).is_staff is False


@pytest.mark.parametrize("claim", ["Instructor", MEMBERSHIP + "Instructor", None, {"Instructor": True}])
def test_a_roles_claim_that_is_not_a_list_never_grants(claim):
    assert context(claim).is_staff is False


# --- over HTTP: signed launches from the sandbox LMS -------------------------------------------------------


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[Lms]:
    with start_lms(tmp_path_factory.mktemp("lms-roles")) as running:
        running.add_link("diagnostic")
        yield running


def landing(lms: Lms, roles: list[str]) -> str:
    """Launch as learner-1 with exactly these roles; the path the tool sends the browser to."""
    browser, q, claims = start_login(lms)
    claims[LTI + "roles"] = roles
    response = post_launch(
        lms, browser, {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    )
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    path = response.headers["Location"].split("://", 1)[-1].split("/", 1)[1]
    assert path.startswith(("a/", "i/")), path
    return STAFF if path.startswith("i/") else LEARNER_VIEW


@pytest.mark.parametrize(("roles", "expected"), MEMBERSHIP_FULL_URI)
def test_launch_with_membership_full_uris(lms: Lms, roles, expected):
    assert landing(lms, roles) == expected


@pytest.mark.parametrize(("roles", "expected"), SHORT_CONTEXT_FORM)
def test_launch_with_short_context_forms(lms: Lms, roles, expected):
    assert landing(lms, roles) == expected


@pytest.mark.parametrize(("roles", "expected"), INSTITUTION_ROLES)
def test_launch_with_institution_roles(lms: Lms, roles, expected):
    assert landing(lms, roles) == expected


@pytest.mark.parametrize(("roles", "expected"), SYSTEM_ROLES)
def test_launch_with_system_roles(lms: Lms, roles, expected):
    assert landing(lms, roles) == expected


@pytest.mark.parametrize(("roles", "expected"), UNKNOWN_ROLES)
def test_launch_with_unknown_roles(lms: Lms, roles, expected):
    assert landing(lms, roles) == expected


@pytest.mark.parametrize(("roles", "expected"), MALFORMED_ROLES)
def test_launch_with_malformed_roles(lms: Lms, roles, expected):
    assert landing(lms, roles) == expected


def test_learner_who_teaches_elsewhere_takes_a_graded_attempt_and_sees_no_class_data(lms: Lms):
    """The reported exploit, end to end: a course Learner with the institution role Instructor."""
    browser, q, claims = start_login(lms)
    claims[LTI + "roles"] = [MEMBERSHIP + "Learner", INSTITUTION + "Instructor"]
    launched = post_launch(
        lms, browser, {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    )
    assert launched.status_code == 303
    launch_id = re.search(r"/[ai]/([^/]+)/", launched.headers["Location"])[1]
    assert browser.get(f"{lms.tool_url}/i/{launch_id}/", timeout=10).status_code == 403
    assert browser.get(f"{lms.tool_url}/i/{launch_id}/export.csv", timeout=10).status_code == 403
    intro = browser.get(f"{lms.tool_url}/a/{launch_id}/", timeout=10)
    assert intro.status_code == 200 and "(instructor)" not in intro.text
    started = browser.post(intro.url + "start", data={"csrf_token": csrf_of(intro.text)}, timeout=10)
    attempt_id = int(re.search(r"/attempt/(\d+)/", started.url)[1])
    session = lms.db()
    session.expire_all()
    attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id))
    assert attempt.preview is False, "a learner's attempt is graded, never an instructor's preview"
