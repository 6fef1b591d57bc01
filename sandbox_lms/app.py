"""The sandbox LMS app factory: configuration, database, signing key, seed data and blueprints."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy.orm import sessionmaker

from . import ags, deeplink, faults, launch, nrps, oauth, pages, registration
from .db import (
    EXTENSION,
    SandboxState,
    close_request_session,
    default_database_url,
    make_engine,
    session_scope,
)
from .keys import ensure_platform_key
from .models import Base
from .seed import seed

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Defaults, then SANDBOX_* environment variables, then the explicit mapping (which wins)."""
    app.config.update(
        SANDBOX_BASE_URL=os.environ.get("SANDBOX_BASE_URL", DEFAULT_BASE_URL),
        SANDBOX_DATABASE_URL=os.environ.get("SANDBOX_DATABASE_URL"),
        SANDBOX_ALLOW_EXTRA_CREDIT=False,
        SECRET_KEY=os.environ.get("SANDBOX_SECRET_KEY"),
    )
    app.config.update(dict(config or {}))
    app.config["SANDBOX_BASE_URL"] = str(app.config["SANDBOX_BASE_URL"]).rstrip("/")
    if not app.config["SANDBOX_DATABASE_URL"]:
        app.config["SANDBOX_DATABASE_URL"] = default_database_url(app)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)


def _init_database(app: Flask) -> None:
    engine = make_engine(app.config["SANDBOX_DATABASE_URL"])
    Base.metadata.create_all(engine)
    sandbox = SandboxState(
        base_url=app.config["SANDBOX_BASE_URL"],
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
    )
    app.extensions[EXTENSION] = sandbox
    with session_scope(app) as session:
        sandbox.key = ensure_platform_key(session)
        seed(session)


def create_sandbox_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A new sandbox platform. Keys: SANDBOX_BASE_URL (the issuer), SANDBOX_DATABASE_URL, SECRET_KEY."""
    app = Flask(__package__ or "sandbox_lms")
    _configure(app, config)
    _init_database(app)
    for blueprint in (
        registration.bp,
        launch.bp,
        deeplink.bp,
        oauth.bp,
        ags.bp,
        nrps.bp,
        faults.bp,
        pages.bp,
    ):
        app.register_blueprint(blueprint)
    faults.install(app)
    app.teardown_appcontext(close_request_session)
    return app
