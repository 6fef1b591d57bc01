"""Extensions, set up with init_app: database, Redis, the course content.

There is no cookie session: after a launch, the launch context (who, where, what) is the tool's
server-side session, cached in Redis and kept in the database, found through the launch id in each
page's URL. That works inside LMS iframes where browsers block third-party cookies.
"""

from __future__ import annotations

from flask import Flask, current_app

from courseware import CourseContent, load_content
from lti_app.adapters import db, redis_store
from lti_app.adapters.registry import Registry, watch
from lti_app.services.unit_of_work import UnitOfWork


def init_app(app: Flask) -> None:
    db.init_app(app)
    redis_store.init_app(app)
    # A commit that adds, changes or removes a platform, a deployment or a tool key makes every
    # process reload its registry snapshot and drops the cached CSP origins.
    watch(app.extensions["db_session"].session_factory, app.extensions["redis"])
    app.extensions["registry"] = Registry(app.extensions["redis"])
    app.extensions["content"] = load_content(app.config["CONTENT_DIR"])


def content() -> CourseContent:
    return current_app.extensions["content"]


def unit_of_work() -> UnitOfWork:
    """A unit of work over this request's database session and Redis: the services commit it."""
    return UnitOfWork(db.db(), redis_store.store(), current_app.extensions["registry"])
