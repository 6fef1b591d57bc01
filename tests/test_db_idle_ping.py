"""Pooled connections that sat idle are pinged before use; busy ones are not (lti_app/adapters/db.py).

A pre-ping on every checkout cost an answer save a fifth of its round trips (issue 13, point 4); a
database restart must still not fail the first request that finds a dead idle connection.
PostgreSQL only (SQLite has no server to lose): it runs in `make test-services`.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from lti_app.adapters import db

URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"), reason="needs PostgreSQL (make test-services runs it)"
)


@pytest.fixture
def engine():
    engine = db.make_engine(URL)
    yield engine
    engine.dispose()


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _pings(engine, monkeypatch) -> list[object]:
    """Every ping the dialect sends (it goes past SQLAlchemy's statement events, on the raw connection)."""
    seen: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        seen.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def test_a_connection_used_a_moment_ago_is_not_pinged(engine, monkeypatch):
    first = _backend(engine)
    pings = _pings(engine, monkeypatch)
    assert _backend(engine) == first  # the same pooled connection, handed out again
    assert pings == []  # and no ping before it


def test_an_idle_connection_killed_by_the_database_is_replaced_before_use(engine, monkeypatch):
    dead = _backend(engine)
    admin = create_engine(URL)
    try:
        with admin.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
    finally:
        admin.dispose()
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # as if it had sat idle for a while
    pings = _pings(engine, monkeypatch)
    fresh = _backend(engine)  # the ping finds it dead: the pool connects again, no error reaches us
    assert fresh != dead and pings
