"""Errors as pages a learner or an LMS admin can act on, with the right status code."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from lti_app.lti.launch import LaunchError
from lti_app.services.attempts import AttemptError
from lti_app.services.spaced import ReviewError


def _page(title: str, detail: str, hint: str, status: int):
    return render_template("tool/error.html", title=title, detail=detail, hint=hint), status


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def init_app(app: Flask) -> None:
    @app.errorhandler(LaunchError)
    def launch_error(error: LaunchError):
        app.logger.info("refused: %s", error)
        return _page(error.title, error.detail, error.hint, error.status)

    @app.errorhandler(AttemptError)
    def attempt_error(error: AttemptError):
        return _page("That did not work", str(error), "Go back and try again.", error.status)

    @app.errorhandler(ReviewError)
    def review_error(error: ReviewError):
        return _page("That did not work", str(error), "Go back and try again.", error.status)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return _page(
            "The request is too large",
            f"Skarp accepts requests of at most {_size(limit)}; this one was larger, so it was not read.",
            "Launch the activity again from the LMS. If it keeps failing, ask your LMS admin.",
            413,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.name, error.description or "", "Go back and try again.", error.code or 500)
