"""Extensions, set up with init_app: database, Redis, server-side sessions, CSRF, the course content."""

from __future__ import annotations

from flask import Flask, current_app
from flask_session import Session
from flask_wtf.csrf import CSRFProtect

from courseware import CourseContent, load_content
from lti_app.adapters import db, redis_store
from lti_app.web.filters import register_filters

csrf = CSRFProtect()
sessions = Session()


def init_app(app: Flask) -> None:
    db.init_app(app)
    redis_store.init_app(app)
    app.config.update(
        SESSION_TYPE="redis",
        SESSION_REDIS=app.extensions["redis"],
        SESSION_KEY_PREFIX="skarp:session:",
        SESSION_PERMANENT=False,
    )
    sessions.init_app(app)
    csrf.init_app(app)
    app.extensions["content"] = load_content(app.config["CONTENT_DIR"])
    register_filters(app)


def content() -> CourseContent:
    return current_app.extensions["content"]
