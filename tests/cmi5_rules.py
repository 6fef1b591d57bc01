"""The cmi5 rules the test LRS (tests/cmi5_lms.py) applies to each statement an AU sends.

From the cmi5 spec (Quartz): 9.3 (verb order in a session and a registration), 9.5 (result: score
and success against the masteryScore, completion), 9.6 (context: registration, session id, the
contextTemplate's publisher id, the cmi5 and moveOn categories), 10 (launch mode), and xAPI's
statement id. A refusal raises Refused(403, reason) naming the rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import NoReturn

CATEGORY_CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CATEGORY_MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
}
VERB_NAMES = {iri: name for name, iri in VERBS.items()}
AU_DEFINED = {"initialized", "completed", "passed", "failed", "terminated"}


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Au:
    id: str
    url: str
    move_on: str
    mastery_score: float | None


@dataclass
class Session:
    id: str
    registration: str
    au: Au
    actor: dict
    launch_mode: str
    mastery_score: float | None  # LMS.LaunchData's: the course's, or what the LMS set for this launch
    token: str
    fetch_key: str
    fetched: bool = False
    verbs: list[str] = field(default_factory=list)  # cmi5 defined verbs the AU sent, in order
    count: int = 0  # statements the AU sent
    terminated: bool = False


def check(session: Session, registrations: dict[str, list[str]], s: dict) -> None:
    """Refuse (403) a statement that breaks a cmi5 rule for this session; else record it in `session`."""

    def refuse(reason: str) -> NoReturn:
        raise Refused(403, reason)

    try:
        uuid.UUID(str(s.get("id")))
    except ValueError:
        refuse("statement id is not a UUID")
    verb_iri = (s.get("verb") or {}).get("id", "")
    verb = VERB_NAMES.get(verb_iri, verb_iri)
    context = s.get("context") or {}
    activities = context.get("contextActivities") or {}
    categories = {c.get("id") for c in activities.get("category", [])}
    result = s.get("result") or {}
    if session.terminated:
        refuse(f"{verb} after terminated")
    if session.count == 0 and verb != "initialized":
        refuse(f"the first statement of a session must be initialized, not {verb}")
    if s.get("actor") != session.actor:
        refuse("actor is not the launch's actor")
    if context.get("registration") != session.registration:
        refuse("context.registration is not the launch's registration")
    if (context.get("extensions") or {}).get(SESSION_ID) != session.id:
        refuse("context.extensions lacks the session id of the contextTemplate")
    if {"objectType": "Activity", "id": session.au.id} not in activities.get("grouping", []):
        refuse("context.contextActivities.grouping lacks the contextTemplate's publisher id")
    defined = CATEGORY_CMI5 in categories
    if defined:
        if verb not in AU_DEFINED:
            refuse(f"cmi5 category on a statement with verb {verb}")
        if (s.get("object") or {}).get("id") != session.au.id:
            refuse("a cmi5 defined statement's object is not the AU's activity id")
        if verb in session.verbs:
            refuse(f"{verb} twice in one session")
        if verb in ("passed", "failed") and {"passed", "failed"} & set(session.verbs):
            refuse(f"{verb} after {'/'.join(set(session.verbs) & {'passed', 'failed'})} in one session")
        done = registrations.setdefault(f"{session.registration} {session.au.id}", [])
        if verb in ("completed", "passed", "failed"):
            if session.launch_mode != "Normal":
                refuse(f"{verb} in launch mode {session.launch_mode}")
            if CATEGORY_MOVE_ON not in categories:
                refuse(f"{verb} without the moveOn category")
            if verb in ("completed", "passed") and verb in done:
                refuse(f"a second {verb} in one registration")
            if verb == "failed" and "passed" in done:
                refuse("failed after passed in one registration")
            done.append(verb)
        if verb == "completed" and result.get("completion") is not True:
            refuse("completed without result.completion true")
        if verb in ("passed", "failed"):
            _check_score(session, verb, result, refuse)
        session.verbs.append(verb)
    elif verb in AU_DEFINED:
        refuse(f"{verb} without the cmi5 category")
    elif CATEGORY_MOVE_ON in categories:
        refuse("moveOn category on a cmi5 allowed statement")
    session.count += 1
    if verb == "terminated":
        session.terminated = True


def _check_score(session: Session, verb: str, result: dict, refuse) -> None:
    if result.get("success") is not (verb == "passed"):
        refuse(f"{verb} needs result.success {str(verb == 'passed').lower()}")
    score = result.get("score")
    mastery = session.mastery_score
    if mastery is None:
        return
    if not isinstance(score, dict) or not isinstance(score.get("scaled"), int | float):
        refuse(f"{verb} of an AU with a masteryScore needs result.score.scaled")
    if verb == "passed" and score["scaled"] < mastery:
        refuse(f"passed with scaled score {score['scaled']} below the masteryScore {mastery}")
    if verb == "failed" and score["scaled"] >= mastery:
        refuse(f"failed with scaled score {score['scaled']} at or above the masteryScore {mastery}")
    raw = score.get("raw")
    if raw is not None and not score.get("min", raw) <= raw <= score.get("max", raw):
        refuse("result.score.raw outside min..max")
