"""Extensions, set up with init_app: database, Redis, launch-bound CSRF, the course content.

There is no cookie session: after a launch, the launch context (who, where, what) is the tool's
server-side session, cached in Redis and kept in the database, found through the launch id in each
page's URL. That works inside LMS iframes where browsers block third-party cookies.
"""

from __future__ import annotations

from flask import Flask, current_app

from courseware import CourseContent, load_content
from lti_app.adapters import db, redis_store
from lti_app.web import csrf
from lti_app.web.filters import register_filters


def init_app(app: Flask) -> None:
    db.init_app(app)
    redis_store.init_app(app)
    csrf.init_app(app)
    app.extensions["content"] = load_content(app.config["CONTENT_DIR"])
    register_filters(app)


def content() -> CourseContent:
    return current_app.extensions["content"]
