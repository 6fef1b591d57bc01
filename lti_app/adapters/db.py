"""The database: one engine per process, one session per request (removed at teardown)."""

from __future__ import annotations

import time

from flask import Flask, current_app
from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

#: A pooled connection unused for longer than this is pinged before it is handed out (see _ping_idle).
IDLE_PING_SECONDS = 5.0


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # foreign keys and concurrent readers
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _ping_idle(engine)
    return engine


def _ping_idle(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping, for connections that sat idle only.

    A pre-ping costs a round trip on every request, a fifth of an answer save's. A connection that
    served a request a moment ago is alive; one idle for a while may have been closed by a database
    restart, a failover or a proxy's idle timeout, and is pinged (and replaced if dead) before use.
    A connection that dies while busy fails that request, and SQLAlchemy then recycles the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:  # the pool connects afresh and retries
            raise exc.DisconnectionError(f"idle connection found dead: {error}") from error


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["db_engine"] = engine
    app.extensions["db_session"] = scoped_session(factory)
    app.teardown_appcontext(lambda _exc: app.extensions["db_session"].remove())


def db() -> Session:
    """This request's (or CLI command's) database session."""
    return current_app.extensions["db_session"]()
