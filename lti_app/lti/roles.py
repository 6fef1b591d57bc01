"""Who gets the instructor view, decided by the LTI 1.3 roles claim (core spec, appendix A.2).

The roles claim mixes three vocabularies, and only one of them is about *this* course:
  * context roles, `http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor` and its sub-roles
    `.../membership/Instructor#TeachingAssistant`: the person's role in the course that launched;
  * institution roles, `.../institution/person#Instructor`: what the person is elsewhere at the
    institution (Canvas sends Instructor for anyone who teaches any course);
  * system roles, `.../system/person#...`: the person's account in the LMS.
So only context roles grant the instructor view: Instructor, Administrator (of the course) and
ContentDeveloper, as full URIs, as their sub-roles, or as the simple names the spec still allows for
context roles ("Instructor"). "TeachingAssistant" is no context role of LIS v2 (a TA is sent as
`membership/Instructor#TeachingAssistant`), so it has no simple name. Mentor, Learner, Member, Manager
and Officer are context roles that do not grant it.

One exception, for LMS administrators: a system or institution *Administrator* gets the instructor view
only when the launch carries no context role at all (an admin opening a course they are not enrolled
in). An admin who is a Learner in this course is a learner here, like anyone else.

Anything else (other vocabularies, LTI 1.1 URNs, wrong case, stray spaces, non-strings) grants nothing:
roles are compared exactly, never by suffix.
"""

from __future__ import annotations

from collections.abc import Iterable

from lti_app.lti.claims import LIS

MEMBERSHIP = LIS + "membership#"
MEMBERSHIP_SUB = LIS + "membership/"
CONTEXT_ROLES = frozenset(
    {"Administrator", "ContentDeveloper", "Instructor", "Learner", "Manager", "Member", "Mentor", "Officer"}
)
STAFF_CONTEXT_ROLES = frozenset({"Administrator", "ContentDeveloper", "Instructor"})
ADMINISTRATOR_ROLES = frozenset(
    {LIS + "system/person#Administrator", LIS + "institution/person#Administrator"}
)


def context_role(role: object) -> str | None:
    """The principal context role a roles-claim entry names (full URI, sub-role or simple name), or None."""
    if not isinstance(role, str):
        return None
    if role in CONTEXT_ROLES:
        return role
    if role.startswith(MEMBERSHIP):
        principal = role[len(MEMBERSHIP) :]
        return principal if principal in CONTEXT_ROLES else None
    if role.startswith(MEMBERSHIP_SUB):
        principal, hash_sign, sub_role = role[len(MEMBERSHIP_SUB) :].partition("#")
        if hash_sign and sub_role.isalnum() and principal in CONTEXT_ROLES:
            return principal
    return None


def grants_instructor_view(roles: object) -> bool:
    """True if these roles make the person staff of the course that launched (see the module docstring)."""
    if not isinstance(roles, Iterable) or isinstance(roles, (str, bytes, dict)):
        return False
    roles = list(roles)
    principals = {context_role(role) for role in roles} - {None}
    if principals:
        return bool(principals & STAFF_CONTEXT_ROLES)
    return any(isinstance(role, str) and role in ADMINISTRATOR_ROLES for role in roles)
