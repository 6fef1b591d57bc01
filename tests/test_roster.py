"""The NRPS roster: who counts as a learner, and what a malformed answer from the LMS does."""

from __future__ import annotations

import pytest

from lti_app.services.reports import members_from_nrps

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


def member(user_id: object = "u1", roles: object = None, **extra: object) -> dict:
    return {"user_id": user_id, "roles": [LIS + "membership#Learner"] if roles is None else roles, **extra}


def test_context_learners_are_learners_in_every_form() -> None:
    body = {
        "members": [
            member("full", [LIS + "membership#Learner"]),
            member("short", ["Learner"]),
            member("sub", [LIS + "membership/Learner#NonCreditLearner"]),
        ]
    }
    assert [m.is_learner for m in members_from_nrps(body)] == [True, True, True]


def test_institution_learner_who_teaches_this_course_is_not_a_learner() -> None:
    roles = [LIS + "institution/person#Learner", LIS + "membership#Instructor"]
    (teacher,) = members_from_nrps({"members": [member("t", roles)]})
    assert teacher.is_learner is False


def test_names_fall_back_to_given_and_family_then_the_id() -> None:
    body = {
        "members": [
            member("a", name="Ada Lovelace"),
            member("b", given_name="Grace", family_name="Hopper"),
            member("c"),
        ]
    }
    assert [m.name for m in members_from_nrps(body)] == ["Ada Lovelace", "Grace Hopper", "c"]


def test_inactive_members_are_left_out() -> None:
    body = {"members": [member("a"), member("b", status="Inactive")]}
    assert [m.user_sub for m in members_from_nrps(body)] == ["a"]


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"members": "everyone"},
        {"members": [None, 3, "x", {"roles": ["Learner"]}, member(user_id=7), member(user_id="")]},
        {"members": [member("a", roles="Learner"), member("b", roles=[1, None, {"r": 1}], name=5)]},
    ],
)
def test_a_malformed_roster_is_skipped_not_fatal(body: object) -> None:
    members = members_from_nrps(body)
    assert all(isinstance(m.user_sub, str) and m.user_sub for m in members)
    assert all(m.is_learner is False for m in members)
    assert all(isinstance(m.name, str) for m in members)
