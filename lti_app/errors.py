"""What a user can be told went wrong: one hierarchy, rendered by one handler (lti_app/web/errors.py).

A UserError carries the page a learner, an instructor or an LMS admin sees: a title, the detail (what
is wrong, never a traceback or a remote server's answer), a hint (what to do about it) and the HTTP
status. Services and the LTI layer raise them; only the web tier turns them into pages, so a use case
never needs Flask to refuse a request. Anything that is not a UserError is a bug, and a 500.

This module imports nothing of the tool: every layer may raise these.
"""

from __future__ import annotations

RETRY = "Go back and try again."
RELAUNCH = "Launch the activity again from the LMS. If it keeps failing, ask your LMS admin."


class UserError(Exception):
    """A request the tool refuses, with a page that says why (4xx; 502 when an LMS failed us)."""

    default_hint = RETRY
    default_status = 400

    def __init__(self, title: str, detail: str, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(title, detail)
        self.title = title
        self.detail = detail
        self.hint = self.default_hint if hint is None else hint
        self.status = self.default_status if status is None else status

    def __str__(self) -> str:
        return f"{self.title}: {self.detail}"


class LaunchError(UserError):
    """A refused LTI login, launch or registration: what an LMS admin can act on."""

    default_hint = RELAUNCH


class CsrfError(UserError):
    """A form that this launch's page did not send (foreign Origin, missing or wrong token)."""


class NotPermitted(UserError):
    """The launch is valid but its role may not do this (e.g. a learner on an instructor page)."""

    default_hint = "Open this activity from the LMS with a role that may use it, or ask your instructor."
    default_status = 403


class _ActionRefused(UserError):
    """A learner's action that cannot apply as sent: only the detail and the status vary."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__("That did not work", detail, status=status)


class AttemptError(_ActionRefused):
    """An assessment attempt refuses the request (not the learner's, already submitted, bad item)."""


class ReviewError(_ActionRefused):
    """The spaced review refuses the request (unknown card, wrong kind of answer)."""
