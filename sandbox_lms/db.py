"""Engine and session handling for the sandbox, kept per Flask app in ``app.extensions["sandbox"]``.

No Flask-SQLAlchemy: the sandbox must be importable next to the tool's own database setup without either
one's global state leaking into the other, so each app owns an engine and a sessionmaker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from .keys import PlatformKeyPair

EXTENSION = "sandbox"


@dataclass
class SandboxState:
    """Everything the sandbox keeps per app: where it lives, its database and its signing key."""

    base_url: str
    engine: Engine
    sessions: sessionmaker[Session]
    key: PlatformKeyPair | None = None

    def url(self, path: str) -> str:
        """An absolute URL on the platform: tools see these, so they come from the issuer, not the request."""
        return self.base_url + path


def default_database_url(app: Flask) -> str:
    """A SQLite file in the instance folder, which .gitignore already keeps out of the repository."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + str(Path(app.instance_path) / "sandbox.sqlite3")


def make_engine(url: str) -> Engine:
    """An engine that tolerates the threaded dev server and a tool writing from another process."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    in_memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if in_memory else None,
    )
    event.listen(engine, "connect", _sqlite_pragmas if in_memory else _sqlite_file_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Foreign keys on, so ON DELETE CASCADE really cascades in SQLite as it does in PostgreSQL."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_file_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """A file database is shared by the LMS's server processes: WAL lets readers go on while one
    writes, and synchronous=NORMAL (safe with WAL) spares an fsync per commit, so the LMS keeps up
    with grade workers posting hundreds of scores a second in the benchmarks."""
    _sqlite_pragmas(dbapi_connection, _record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def state(app: Flask | None = None) -> SandboxState:
    """The sandbox state of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]


def db() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "sandbox_session" not in g:
        g.sandbox_session = state().sessions()
    return g.sandbox_session


def close_request_session(_exc: BaseException | None = None) -> None:
    session = g.pop("sandbox_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session outside any request (startup, tests, helpers): commits on success, rolls back on error."""
    session = state(app).sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
