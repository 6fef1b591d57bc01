"""Errors as pages a learner or an LMS admin can act on, with the right status code.

Every refusal the tool means to make is a UserError (lti_app/errors.py): one handler renders them
all with the tool's error page and their own status, so a new kind of refusal needs no handler.
"""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from lti_app.errors import RELAUNCH, RETRY, UserError


def _page(title: str, detail: str, hint: str, status: int):
    return render_template("tool/error.html", title=title, detail=detail, hint=hint), status


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def init_app(app: Flask) -> None:
    @app.errorhandler(UserError)
    def user_error(error: UserError):
        app.logger.info("refused (%s, %s): %s", type(error).__name__, error.status, error)
        return _page(error.title, error.detail, error.hint, error.status)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return _page(
            "The request is too large",
            f"Skarp accepts requests of at most {_size(limit)}; this one was larger, so it was not read.",
            RELAUNCH,
            413,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.name, error.description or "", RETRY, error.code or 500)
