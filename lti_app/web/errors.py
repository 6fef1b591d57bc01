"""Errors as pages a learner or an LMS admin can act on, with the right status code."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from lti_app.lti.launch import LaunchError
from lti_app.services.attempts import AttemptError
from lti_app.services.review import ReviewError


def _page(title: str, detail: str, hint: str, status: int):
    return render_template("tool/error.html", title=title, detail=detail, hint=hint), status


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

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.name, error.description or "", "Go back and try again.", error.code or 500)
