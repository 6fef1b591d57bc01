"""Fixtures of the sandbox LMS tests: the fake tool's JWKS server, a sandbox app on a fresh SQLite file (or
live on a real port), a registered tool and a resource link."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Request, Response

from sandbox_lms import create_sandbox_app, register_tool, session_scope
from sandbox_lms.store import add_line_item, add_resource_link, get_course, get_tool

from .support import BASE, FakeTool, _LazyWSGI, new_rsa_key, serve_in_thread


@pytest.fixture(scope="module")
def tool_server() -> Iterator[tuple[str, dict[str, Any]]]:
    jwks: dict[str, Any] = {"keys": []}

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/jwks":
            return Response(json.dumps(jwks), mimetype="application/json")
        return Response("not found", status=404)

    server, url = serve_in_thread(app)
    yield url, jwks
    server.shutdown()


@pytest.fixture
def tool(tool_server: tuple[str, dict[str, Any]]) -> FakeTool:
    url, jwks = tool_server
    fake = FakeTool(url=url, key=new_rsa_key(), jwks=jwks)
    fake.publish()
    return fake


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_sandbox_app(
        {
            "SANDBOX_BASE_URL": BASE,
            "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}",
            "TESTING": True,
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def client_id(app: Flask, tool: FakeTool) -> str:
    """A tool registered directly (the same code path as POST /register)."""
    with session_scope(app) as session:
        return register_tool(session, tool.metadata()).client_id


@pytest.fixture
def link_id(app: Flask, client_id: str) -> str:
    """A resource link with custom parameters and a line item out of 20 points."""
    with session_scope(app) as session:
        tool_row, course = get_tool(session, client_id), get_course(session)
        assert tool_row is not None and course is not None
        link = add_resource_link(
            session, tool_row, course, "Diagnostic", custom={"quiz": "diagnostic", "who": "$User.id"}
        )
        add_line_item(session, tool_row, course, label="Diagnostic", score_maximum=20, resource_link=link)
        return link.link_id


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    lazy = _LazyWSGI()
    server, url = serve_in_thread(lazy)
    app = create_sandbox_app(
        {"SANDBOX_BASE_URL": url, "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}"}
    )
    lazy.app = app
    yield app, url
    server.shutdown()
